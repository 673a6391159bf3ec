//! Typed settings of the reinforcement-learning experiment (docs/method.md §7): the world, the
//! MADDPG recipe and the SOO fine-tuning, each validated with the allowed range in the error.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What blue is rewarded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reward {
    /// Blue is rewarded when red is near the fake landmark: `-dist(red, fake)`.
    Deceptive,
    /// Blue is rewarded for its own nearness to the goal: `-dist(blue, goal)`.
    Honest,
}

impl Reward {
    /// The name users type (`--reward honest`).
    pub fn name(self) -> &'static str {
        match self {
            Reward::Deceptive => "deceptive",
            Reward::Honest => "honest",
        }
    }
}

impl std::fmt::Display for Reward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Reward {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "deceptive" => Ok(Reward::Deceptive),
            "honest" => Ok(Reward::Honest),
            other => Err(format!("reward '{other}': use deceptive or honest")),
        }
    }
}

/// Which fine-tuning loss runs before each MADDPG update of a fine-tuning run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SooVariant {
    /// The method: MSE(A_self, A_other) with red placed inside the sight radius, plus the
    /// capability term MSE(v, v_baseline).
    Overlap,
    /// Control: the capability term alone (what the overlap term adds is the difference).
    CapabilityOnly,
    /// Control: A_other from another, randomly chosen observation of the batch instead of the
    /// same observation with red in sight, plus the capability term.
    RandomOther,
}

impl SooVariant {
    /// The name users type (`--variant capability-only`).
    pub fn name(self) -> &'static str {
        match self {
            SooVariant::Overlap => "overlap",
            SooVariant::CapabilityOnly => "capability-only",
            SooVariant::RandomOther => "random-other",
        }
    }
}

impl std::fmt::Display for SooVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SooVariant {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "overlap" => Ok(SooVariant::Overlap),
            "capability-only" => Ok(SooVariant::CapabilityOnly),
            "random-other" => Ok(SooVariant::RandomOther),
            other => Err(format!(
                "variant '{other}': use overlap, capability-only or random-other"
            )),
        }
    }
}

/// The order of MPE's integration step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integration {
    /// OpenAI's original MPE (`multiagent/core.py`, which the paper's authors ran through
    /// maddpg-pytorch): damping and force change the velocity, then the new velocity moves the
    /// agent, so an action moves the agent in the same step.
    OpenAi,
    /// Farama's `mpe2` and PettingZoo: the old velocity moves the agent, then damping and force
    /// change the velocity, so an action shows in the position one step later.
    Farama,
}

/// The world: MPE's `simple_adversary` physics with the method's modifications (see
/// [`crate::rl::world`] for the list in one place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorldConfig {
    /// Agents see each other only when their centres are closer than this.
    pub sight_radius: f32,
    /// Agent radius (MPE's `size`).
    pub agent_size: f32,
    /// Landmark radius (MPE's `size`).
    pub landmark_size: f32,
    /// Walls: agent centres stay within `[-wall, wall]` on both axes.
    pub wall: f32,
    /// Steps per episode.
    pub episode_steps: usize,
    /// Seconds per step (MPE: 0.1).
    pub dt: f32,
    /// Share of velocity lost per step (MPE: 0.25).
    pub damping: f32,
    /// Agent mass (MPE: 1).
    pub mass: f32,
    /// Force per unit of action (MPE's `sensitivity`: 5).
    pub sensitivity: f32,
    /// Whether the two agents push each other apart (MPE's soft contact; `simple_adversary`
    /// has it off).
    pub collide: bool,
    /// MPE's contact force constant (100).
    pub contact_force: f32,
    /// MPE's contact margin (0.001).
    pub contact_margin: f32,
    /// Which MPE's step order.
    pub integration: Integration,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            sight_radius: 0.125,
            agent_size: 0.15,
            landmark_size: 0.08,
            wall: 1.0,
            episode_steps: 50,
            dt: 0.1,
            damping: 0.25,
            mass: 1.0,
            sensitivity: 5.0,
            collide: false,
            contact_force: 100.0,
            contact_margin: 1e-3,
            integration: Integration::OpenAi,
        }
    }
}

/// An error naming the setting, its value and the range it must be in.
fn out_of_range(name: &str, value: impl std::fmt::Display, range: &str) -> Error {
    Error::Unsupported(format!("rl setting {name} = {value}: must be {range}"))
}

/// Checks `lo < value <= hi` (or `lo <= value` with `closed_low`), naming the setting.
fn check(name: &str, value: f64, lo: f64, hi: f64, closed_low: bool) -> Result<()> {
    let low_ok = if closed_low { value >= lo } else { value > lo };
    if value.is_finite() && low_ok && value <= hi {
        Ok(())
    } else {
        let open = if closed_low { "[" } else { "(" };
        Err(out_of_range(name, value, &format!("in {open}{lo}, {hi}]")))
    }
}

impl WorldConfig {
    /// Rejects impossible worlds (sizes that do not fit between the walls, no steps...).
    pub fn validate(&self) -> Result<()> {
        check("world.wall", self.wall as f64, 0.0, 100.0, false)?;
        let wall = self.wall as f64;
        check(
            "world.sight_radius",
            self.sight_radius as f64,
            0.0,
            2.0 * wall,
            false,
        )?;
        check("world.agent_size", self.agent_size as f64, 0.0, wall, false)?;
        check(
            "world.landmark_size",
            self.landmark_size as f64,
            0.0,
            wall,
            false,
        )?;
        check("world.dt", self.dt as f64, 0.0, 1.0, false)?;
        check("world.damping", self.damping as f64, 0.0, 1.0, true)?;
        check("world.mass", self.mass as f64, 0.0, 1e6, false)?;
        check(
            "world.sensitivity",
            self.sensitivity as f64,
            0.0,
            1e6,
            false,
        )?;
        check(
            "world.contact_force",
            self.contact_force as f64,
            0.0,
            1e6,
            true,
        )?;
        check(
            "world.contact_margin",
            self.contact_margin as f64,
            0.0,
            1.0,
            false,
        )?;
        if !(1..=100_000).contains(&self.episode_steps) {
            return Err(out_of_range(
                "world.episode_steps",
                self.episode_steps,
                "in [1, 100000]",
            ));
        }
        Ok(())
    }
}

/// MADDPG as in the authors' maddpg-pytorch defaults (continuous actions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaddpgConfig {
    /// Adam learning rate of actors and critics.
    pub lr: f32,
    /// Soft target update rate.
    pub tau: f32,
    /// Discount.
    pub gamma: f32,
    /// Transitions per update.
    pub batch_size: usize,
    /// Replay capacity in transitions.
    pub buffer: usize,
    /// Environment steps between update rounds (one update per agent, then targets).
    pub steps_per_update: usize,
    /// Width of both hidden layers.
    pub hidden: usize,
    /// Exploration noise scale at the start, annealed linearly to `final_noise`.
    pub init_noise: f32,
    /// Exploration noise scale at the end of the annealing.
    pub final_noise: f32,
    /// Episodes over which the noise anneals (0: the run's episode count).
    pub exploration_episodes: usize,
    /// Gradient norm clip of every update.
    pub grad_clip: f32,
    /// Weight of the actors' action penalty `mean(a²)`.
    pub action_penalty: f32,
    /// Normalise sampled rewards by the buffer's mean and standard deviation per agent.
    pub normalise_rewards: bool,
}

impl Default for MaddpgConfig {
    fn default() -> Self {
        MaddpgConfig {
            lr: 0.01,
            tau: 0.01,
            gamma: 0.95,
            batch_size: 1024,
            buffer: 1_000_000,
            steps_per_update: 100,
            hidden: 64,
            init_noise: 0.3,
            final_noise: 0.0,
            exploration_episodes: 0,
            grad_clip: 0.5,
            action_penalty: 1e-3,
            normalise_rewards: true,
        }
    }
}

impl MaddpgConfig {
    /// Rejects settings that cannot train.
    pub fn validate(&self) -> Result<()> {
        check("maddpg.lr", self.lr as f64, 0.0, 10.0, false)?;
        check("maddpg.tau", self.tau as f64, 0.0, 1.0, false)?;
        check("maddpg.gamma", self.gamma as f64, 0.0, 1.0, true)?;
        check("maddpg.init_noise", self.init_noise as f64, 0.0, 10.0, true)?;
        check(
            "maddpg.final_noise",
            self.final_noise as f64,
            0.0,
            10.0,
            true,
        )?;
        check("maddpg.grad_clip", self.grad_clip as f64, 0.0, 1e6, false)?;
        check(
            "maddpg.action_penalty",
            self.action_penalty as f64,
            0.0,
            1e3,
            true,
        )?;
        for (name, value, lo, hi) in [
            ("maddpg.batch_size", self.batch_size, 1, 1 << 20),
            ("maddpg.steps_per_update", self.steps_per_update, 1, 1 << 20),
            ("maddpg.hidden", self.hidden, 1, 4096),
        ] {
            if !(lo..=hi).contains(&value) {
                return Err(out_of_range(name, value, &format!("in [{lo}, {hi}]")));
            }
        }
        if self.buffer < self.batch_size || self.buffer > 50_000_000 {
            return Err(out_of_range(
                "maddpg.buffer",
                self.buffer,
                &format!("in [batch_size = {}, 50000000]", self.batch_size),
            ));
        }
        Ok(())
    }
}

/// The SOO fine-tuning step (docs/method.md §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SooConfig {
    /// Which loss.
    pub variant: SooVariant,
    /// Weight of MSE(A_self, A_other) (the method: 1).
    pub overlap_weight: f32,
    /// Weight of MSE(v, v_baseline) (the method: 1).
    pub capability_weight: f32,
    /// Adam learning rate of the fine-tuning step (its own optimizer state).
    pub lr: f32,
}

impl Default for SooConfig {
    fn default() -> Self {
        SooConfig {
            variant: SooVariant::Overlap,
            overlap_weight: 1.0,
            capability_weight: 1.0,
            lr: 0.01,
        }
    }
}

impl SooConfig {
    /// Rejects negative or non-finite weights.
    pub fn validate(&self) -> Result<()> {
        check(
            "soo.overlap_weight",
            self.overlap_weight as f64,
            0.0,
            1e6,
            true,
        )?;
        check(
            "soo.capability_weight",
            self.capability_weight as f64,
            0.0,
            1e6,
            true,
        )?;
        check("soo.lr", self.lr as f64, 0.0, 10.0, false)
    }
}

/// One training run: world, reward, recipe, length and seed (saved beside every output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RlConfig {
    /// What blue is rewarded for.
    pub reward: Reward,
    /// Episodes to train.
    pub episodes: usize,
    /// Seeds the initialisation, the worlds, the noise and the sampling.
    pub seed: u64,
    /// The world.
    pub world: WorldConfig,
    /// The learning algorithm.
    pub maddpg: MaddpgConfig,
    /// SOO fine-tuning (set on fine-tuning runs only).
    pub soo: Option<SooConfig>,
}

impl Default for RlConfig {
    fn default() -> Self {
        RlConfig {
            reward: Reward::Deceptive,
            episodes: 40_000,
            seed: 0,
            world: WorldConfig::default(),
            maddpg: MaddpgConfig::default(),
            soo: None,
        }
    }
}

impl RlConfig {
    /// Rejects any impossible setting, naming it and its range.
    pub fn validate(&self) -> Result<()> {
        self.world.validate()?;
        self.maddpg.validate()?;
        if let Some(soo) = &self.soo {
            soo.validate()?;
        }
        if !(1..=10_000_000).contains(&self.episodes) {
            return Err(out_of_range("episodes", self.episodes, "in [1, 10000000]"));
        }
        Ok(())
    }

    /// Episodes over which exploration noise anneals.
    pub fn exploration_episodes(&self) -> usize {
        match self.maddpg.exploration_episodes {
            0 => self.episodes,
            n => n,
        }
    }
}
