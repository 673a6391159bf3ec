//! The replay buffer: a ring of transitions, sampled uniformly, with per-agent reward
//! statistics for maddpg-pytorch's reward normalisation.

use super::observe::{ACTION, BLUE_OBS, RED_OBS};
use crate::base::rng::SplitMix64;

/// Floats per agent-joint observation: blue's then red's.
pub const JOINT_OBS: usize = BLUE_OBS + RED_OBS;
/// Floats per stored transition: observations, actions, rewards, next observations.
const ROW: usize = JOINT_OBS + 2 * ACTION + 2 + JOINT_OBS;

/// One step of both agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// Blue's observation then red's.
    pub obs: [f32; JOINT_OBS],
    /// Blue's action then red's.
    pub actions: [f32; 2 * ACTION],
    /// Blue's reward then red's.
    pub rewards: [f32; 2],
    /// The observations after the step.
    pub next_obs: [f32; JOINT_OBS],
}

/// A batch of transitions, column blocks as the networks want them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Rows.
    pub rows: usize,
    /// `[rows × JOINT_OBS]`.
    pub obs: Vec<f32>,
    /// `[rows × 2·ACTION]`.
    pub actions: Vec<f32>,
    /// `[rows]` for each agent (normalised when asked).
    pub rewards: [Vec<f32>; 2],
    /// `[rows × JOINT_OBS]`.
    pub next_obs: Vec<f32>,
}

/// A ring buffer of transitions.
#[derive(Debug, Clone)]
pub struct Replay {
    capacity: usize,
    data: Vec<f32>,
    len: usize,
    next: usize,
    /// Per agent: sum and sum of squares of the stored rewards.
    sums: [(f64, f64); 2],
}

impl Replay {
    /// An empty buffer for `capacity` transitions (memory grows as it fills).
    pub fn new(capacity: usize) -> Replay {
        Replay {
            capacity,
            data: Vec::new(),
            len: 0,
            next: 0,
            sums: [(0.0, 0.0); 2],
        }
    }

    /// Transitions stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `t`, overwriting the oldest when full.
    pub fn push(&mut self, t: &Transition) {
        let mut row = [0.0f32; ROW];
        let mut at = 0;
        for part in [&t.obs[..], &t.actions[..], &t.rewards[..], &t.next_obs[..]] {
            row[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        if self.len == self.capacity {
            let old = self.next * ROW + JOINT_OBS + 2 * ACTION;
            for a in 0..2 {
                let r = self.data[old + a] as f64;
                self.sums[a].0 -= r;
                self.sums[a].1 -= r * r;
            }
        }
        for (a, &r) in t.rewards.iter().enumerate() {
            self.sums[a].0 += r as f64;
            self.sums[a].1 += (r as f64) * (r as f64);
        }
        if self.data.len() < (self.next + 1) * ROW {
            self.data.extend_from_slice(&row);
        } else {
            self.data[self.next * ROW..(self.next + 1) * ROW].copy_from_slice(&row);
        }
        self.next = (self.next + 1) % self.capacity;
        self.len = (self.len + 1).min(self.capacity);
    }

    /// Mean and standard deviation of agent `a`'s stored rewards.
    pub fn reward_stats(&self, a: usize) -> (f32, f32) {
        let n = self.len.max(1) as f64;
        let mean = self.sums[a].0 / n;
        let var = (self.sums[a].1 / n - mean * mean).max(0.0);
        (mean as f32, var.sqrt() as f32)
    }

    /// `rows` transitions drawn uniformly (with replacement), rewards normalised by the
    /// buffer's statistics when `normalise` (maddpg-pytorch's `norm_rews`).
    pub fn sample(&self, rows: usize, normalise: bool, rng: &mut SplitMix64) -> Batch {
        let mut batch = Batch {
            rows,
            ..Batch::default()
        };
        let stats = [self.reward_stats(0), self.reward_stats(1)];
        for _ in 0..rows {
            let i = (rng.next_u64() % self.len.max(1) as u64) as usize;
            let row = &self.data[i * ROW..(i + 1) * ROW];
            let (obs, rest) = row.split_at(JOINT_OBS);
            let (actions, rest) = rest.split_at(2 * ACTION);
            let (rewards, next_obs) = rest.split_at(2);
            batch.obs.extend_from_slice(obs);
            batch.actions.extend_from_slice(actions);
            for a in 0..2 {
                let (mean, std) = stats[a];
                let r = if normalise {
                    (rewards[a] - mean) / std.max(1e-6)
                } else {
                    rewards[a]
                };
                batch.rewards[a].push(r);
            }
            batch.next_obs.extend_from_slice(next_obs);
        }
        batch
    }
}
