//! The modified Physical Deception world of the paper's §3.2 (docs/method.md §7): MPE's
//! `simple_adversary` with one blue agent (knows the goal) and one red agent (colour-blind).
//!
//! The modifications to `simple_adversary`, all in one place:
//! - two agents (blue = MPE's good agent, red = its adversary) and two landmarks; one is the
//!   goal (drawn at reset), the other the fake;
//! - agents see each other only when their centres are closer than `sight_radius` (0.125);
//!   out of sight, the offset to the other agent is observed as zero;
//! - walls at `±wall` (1): a centre that passes a wall is put back on it and its velocity
//!   across the wall stopped ([`super::physics::apply_walls`]);
//! - red is trapped once it touches the fake landmark (centres closer than agent size +
//!   landmark size, MPE's collision test): it stops and stays for the rest of the episode,
//!   and blue observes this as a two-valued flag (`[1, 0]` free, `[0, 1]` trapped);
//! - rewards: red `-dist(red, goal)` (as MPE's adversary); blue `-dist(red, fake)` under the
//!   deceptive reward, `-dist(blue, goal)` under the honest one;
//! - resets draw blue and the landmarks uniformly within the walls (MPE: `uniform(-1, 1)`) and
//!   red uniformly inside blue's sight disc, so that every episode starts in sight;
//! - 50-step episodes; actions are 2-D in `[-1, 1]` and map to MPE's force as `sensitivity ·
//!   a` (MPE's continuous action `[_, l, r, d, u]` gives `sensitivity · (r - l, u - d)`).
//!
//! Shared with MPE unchanged: `dt` 0.1, damping 0.25, mass 1, sensitivity 5, no collisions
//! (`collide = false` as in `simple_adversary`; the contact force is there and checked), and
//! OpenAI's step order by default (velocity then position, as the paper's authors ran it;
//! Farama's `mpe2` moves with the old velocity first, `integration = "farama"`; see
//! docs/rl.md for what was measured with each).

use serde::{Deserialize, Serialize};

use super::config::{Reward, WorldConfig};
use super::physics::{self, Body, Vec2, dist};
use crate::base::rng::SplitMix64;
use crate::{Error, Result};

/// Blue's index in per-agent arrays.
pub const BLUE: usize = 0;
/// Red's index in per-agent arrays.
pub const RED: usize = 1;

/// The state of one episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// The settings.
    pub config: WorldConfig,
    /// What blue is rewarded for.
    pub reward: Reward,
    /// Blue then red.
    pub agents: [Body; 2],
    /// The two landmarks, in the fixed order both agents observe them.
    pub landmarks: [Vec2; 2],
    /// Which landmark is the goal (the other is the fake).
    pub goal: usize,
    /// Whether red has reached the fake landmark (and is held there).
    pub trapped: bool,
    /// Steps taken this episode.
    pub t: usize,
}

/// What one step gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Blue's and red's rewards.
    pub rewards: [f32; 2],
    /// Whether the episode has ended.
    pub done: bool,
}

/// A point uniform in the disc of `radius` around the origin.
pub fn uniform_in_disc(rng: &mut SplitMix64, radius: f32) -> Vec2 {
    let r = radius * rng.next_unit_f32().sqrt();
    let angle = std::f32::consts::TAU * rng.next_unit_f32();
    [r * angle.cos(), r * angle.sin()]
}

impl World {
    /// A fresh episode drawn from `rng` (settings must be valid: see [`WorldConfig::validate`]).
    pub fn reset(config: &WorldConfig, reward: Reward, rng: &mut SplitMix64) -> World {
        let wall = config.wall;
        let mut point = || [rng.uniform_f32(wall), rng.uniform_f32(wall)];
        let blue = point();
        let landmarks = [point(), point()];
        let goal = (rng.next_u64() & 1) as usize;
        // Strictly inside the sight radius, then kept within the walls.
        let offset = uniform_in_disc(rng, config.sight_radius * 0.999);
        let mut red = Body {
            pos: [blue[0] + offset[0], blue[1] + offset[1]],
            vel: [0.0; 2],
        };
        physics::apply_walls(&mut red, wall);
        World {
            config: config.clone(),
            reward,
            agents: [
                Body {
                    pos: blue,
                    vel: [0.0; 2],
                },
                red,
            ],
            landmarks,
            goal,
            trapped: false,
            t: 0,
        }
    }

    /// The fake landmark's index.
    pub fn fake(&self) -> usize {
        1 - self.goal
    }

    /// Whether the agents see each other.
    pub fn in_sight(&self) -> bool {
        dist(self.agents[BLUE].pos, self.agents[RED].pos) < self.config.sight_radius
    }

    /// Advances one step with blue's and red's actions (each in `[-1, 1]²`; values outside are
    /// clipped) and returns the rewards after it.
    pub fn step(&mut self, actions: [Vec2; 2]) -> Result<Outcome> {
        if actions.iter().flatten().any(|a| !a.is_finite()) {
            return Err(Error::Unsupported(format!(
                "rl world: a non-finite action {actions:?} at step {}",
                self.t
            )));
        }
        let force = |a: Vec2| {
            [
                a[0].clamp(-1.0, 1.0) * self.config.sensitivity,
                a[1].clamp(-1.0, 1.0) * self.config.sensitivity,
            ]
        };
        let mut forces = [force(actions[BLUE]), force(actions[RED])];
        if self.trapped {
            forces[RED] = [0.0; 2];
        }
        let red_before = self.agents[RED];
        physics::step(
            &mut self.agents,
            &forces,
            self.config.agent_size,
            &self.config,
        );
        if self.trapped {
            self.agents[RED] = red_before;
        }
        for body in &mut self.agents {
            physics::apply_walls(body, self.config.wall);
        }
        let touch = self.config.agent_size + self.config.landmark_size;
        if !self.trapped && dist(self.agents[RED].pos, self.landmarks[self.fake()]) < touch {
            self.trapped = true;
            self.agents[RED].vel = [0.0; 2];
        }
        self.t += 1;
        let rewards = self.rewards();
        if rewards.iter().any(|r| !r.is_finite()) {
            return Err(Error::Unsupported(format!(
                "rl world: a non-finite reward {rewards:?} at step {}",
                self.t
            )));
        }
        Ok(Outcome {
            rewards,
            done: self.t >= self.config.episode_steps,
        })
    }

    /// Blue's and red's rewards in the current state.
    pub fn rewards(&self) -> [f32; 2] {
        let goal = self.landmarks[self.goal];
        [
            self.blue_reward(self.reward),
            -dist(self.agents[RED].pos, goal),
        ]
    }

    /// Blue's reward in the current state under `kind` (evaluation reports both).
    pub fn blue_reward(&self, kind: Reward) -> f32 {
        match kind {
            Reward::Deceptive => -dist(self.agents[RED].pos, self.landmarks[self.fake()]),
            Reward::Honest => -dist(self.agents[BLUE].pos, self.landmarks[self.goal]),
        }
    }
}
