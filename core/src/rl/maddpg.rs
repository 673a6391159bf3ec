//! MADDPG (Lowe et al. 2017) as the authors' maddpg-pytorch runs it with continuous actions:
//! decentralised tanh actors, centralised critics over both agents' observations and actions,
//! target networks with soft updates, a replay buffer, Ornstein–Uhlenbeck exploration noise
//! annealed linearly to zero, rewards normalised by the buffer's statistics, gradient norms
//! clipped at 0.5, and one update per agent every 100 environment steps.
//!
//! Not copied from maddpg-pytorch: its input BatchNorm (`norm_in`) is left out (the
//! observations are offsets of order 1), and minibatches are drawn with replacement.
//!
//! A trainer advances one episode per call ([`Trainer::episode`]) so that a browser can run
//! one per animation frame; a fine-tuning run ([`crate::rl::soo`]) adds a step before every
//! update round.

use serde::{Deserialize, Serialize};

use super::config::RlConfig;
use super::mlp::{Adam, Mlp, OutputFn, clip_grad_norm};
use super::observe::{self, ACTION, BLUE_OBS, RED_OBS};
use super::replay::{Batch, JOINT_OBS, Replay, Transition};
use super::soo::SooStep;
use super::world::World;
use crate::base::rng::SplitMix64;
use crate::{Error, Result};

/// Observation width of each agent (blue, red).
pub const OBS: [usize; 2] = [BLUE_OBS, RED_OBS];
/// Where each agent's observation starts in the joint observation.
pub const OBS_AT: [usize; 2] = [0, BLUE_OBS];
/// Critic input: both observations and both actions.
pub const CRITIC_IN: usize = JOINT_OBS + 2 * ACTION;

/// The two actors: everything needed to act and to measure (what is exported and committed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policies {
    /// Blue's actor: `[10] → 64 → 64 → [2]`.
    pub blue: Mlp,
    /// Red's actor: `[6] → 64 → 64 → [2]`.
    pub red: Mlp,
}

impl Policies {
    /// Checks the shapes and values (a wrong or damaged file gives one clear error).
    pub fn validate(&self, file: &str) -> Result<()> {
        for (name, net, inputs) in [("blue", &self.blue, BLUE_OBS), ("red", &self.red, RED_OBS)] {
            if !net.is_well_formed() || net.inputs() != inputs || net.outputs() != ACTION {
                return Err(crate::base::error::format_error(
                    file,
                    format!(
                        "the {name} policy is not a {inputs}-input, {ACTION}-output network with \
                         finite weights (sizes {:?}, {} parameters)",
                        net.sizes,
                        net.params.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Both agents' deterministic actions on the joint observation.
    pub fn act(&self, obs: &[f32; JOINT_OBS]) -> [[f32; 2]; 2] {
        let nets = [&self.blue, &self.red];
        let mut actions = [[0.0; 2]; 2];
        for a in 0..2 {
            let out = nets[a].act(&obs[OBS_AT[a]..OBS_AT[a] + OBS[a]]);
            actions[a] = [out[0], out[1]];
        }
        actions
    }
}

/// One agent's networks and optimizers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Learner {
    /// The policy.
    pub actor: Mlp,
    /// The centralised action-value `[CRITIC_IN] → 64 → 64 → [1]`.
    pub critic: Mlp,
    /// Slowly following copy of the actor.
    pub target_actor: Mlp,
    /// Slowly following copy of the critic.
    pub target_critic: Mlp,
    /// The actor's Adam.
    pub actor_opt: Adam,
    /// The critic's Adam.
    pub critic_opt: Adam,
}

impl Learner {
    fn new(obs: usize, config: &RlConfig, rng: &mut SplitMix64) -> Learner {
        let h = config.maddpg.hidden;
        let actor = Mlp::new(&[obs, h, h, ACTION], OutputFn::Tanh, rng);
        let critic = Mlp::new(&[CRITIC_IN, h, h, 1], OutputFn::Identity, rng);
        Learner {
            actor_opt: Adam::new(actor.params.len(), config.maddpg.lr),
            critic_opt: Adam::new(critic.params.len(), config.maddpg.lr),
            target_actor: actor.clone(),
            target_critic: critic.clone(),
            actor,
            critic,
        }
    }
}

/// Everything a run needs to continue where it stopped (the replay buffer excepted: a
/// resumed run refills it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// The run's settings.
    pub config: RlConfig,
    /// Episodes done.
    pub episode: usize,
    /// Environment steps done.
    pub steps: u64,
    /// Update rounds done.
    pub updates: u64,
    /// Blue then red.
    pub learners: Vec<Learner>,
    /// The fine-tuning step's state, on fine-tuning runs.
    pub soo: Option<SooStep>,
}

/// What one episode did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpisodeReport {
    /// Episodes done (1-based).
    pub episode: usize,
    /// Blue's and red's summed rewards.
    pub returns: [f32; 2],
    /// Whether red was trapped at the fake landmark.
    pub trapped: bool,
    /// Update rounds this episode.
    pub updates: usize,
    /// Mean critic and actor losses of blue's updates this episode (NaN without updates).
    pub blue_losses: [f32; 2],
    /// The fine-tuning terms of the last fine-tuning step this episode (overlap,
    /// capability), when there was one.
    pub soo: Option<[f32; 2]>,
}

/// Trains both agents, an episode at a time.
pub struct Trainer {
    state: TrainerState,
    replay: Replay,
}

/// An independent stream for (`seed`, `purpose`, `index`).
pub fn stream(seed: u64, purpose: u64, index: u64) -> SplitMix64 {
    let mut mix = SplitMix64::new(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let base = mix.next_u64();
    SplitMix64::new(base ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// Stream purposes.
const INIT: u64 = 1;
const EPISODE: u64 = 2;
const UPDATE: u64 = 3;

/// Both agents' observations side by side.
pub fn joint_obs(world: &World) -> [f32; JOINT_OBS] {
    let mut obs = [0.0; JOINT_OBS];
    obs[..BLUE_OBS].copy_from_slice(&observe::blue(world));
    obs[BLUE_OBS..].copy_from_slice(&observe::red(world));
    obs
}

/// Columns `start..start + width` of a `[rows × stride]` block.
pub fn columns(data: &[f32], stride: usize, start: usize, width: usize) -> Vec<f32> {
    data.chunks(stride)
        .flat_map(|row| row[start..start + width].iter().copied())
        .collect()
}

/// `[rows × JOINT_OBS]` observations and two `[rows × ACTION]` actions as critic input.
fn critic_input(obs: &[f32], actions: [&[f32]; 2], rows: usize) -> Vec<f32> {
    let mut x = Vec::with_capacity(rows * CRITIC_IN);
    for r in 0..rows {
        x.extend_from_slice(&obs[r * JOINT_OBS..(r + 1) * JOINT_OBS]);
        for a in actions {
            x.extend_from_slice(&a[r * ACTION..(r + 1) * ACTION]);
        }
    }
    x
}

impl Trainer {
    /// A fresh run (settings are validated here).
    pub fn new(config: RlConfig) -> Result<Trainer> {
        config.validate()?;
        let mut rng = stream(config.seed, INIT, 0);
        let learners = OBS
            .iter()
            .map(|&o| Learner::new(o, &config, &mut rng))
            .collect();
        Ok(Trainer {
            replay: Replay::new(config.maddpg.buffer),
            state: TrainerState {
                config,
                episode: 0,
                steps: 0,
                updates: 0,
                learners,
                soo: None,
            },
        })
    }

    /// Continues a saved run (its replay buffer starts empty).
    pub fn resume(state: TrainerState) -> Result<Trainer> {
        state.config.validate()?;
        if state.learners.len() != 2 {
            return Err(Error::Unsupported(format!(
                "rl checkpoint: {} learners, expected 2 (blue, red)",
                state.learners.len()
            )));
        }
        let policies = Policies {
            blue: state.learners[0].actor.clone(),
            red: state.learners[1].actor.clone(),
        };
        policies.validate("rl checkpoint")?;
        for l in &state.learners {
            let ok = [&l.critic, &l.target_actor, &l.target_critic]
                .iter()
                .all(|n| n.is_well_formed())
                && l.actor_opt.m.len() == l.actor.params.len()
                && l.critic_opt.m.len() == l.critic.params.len()
                && l.critic.inputs() == CRITIC_IN;
            if !ok {
                return Err(Error::Unsupported(
                    "rl checkpoint: a critic, target or optimizer does not match its network"
                        .into(),
                ));
            }
        }
        Ok(Trainer {
            replay: Replay::new(state.config.maddpg.buffer),
            state,
        })
    }

    /// Starts SOO fine-tuning of `from` (a baseline's saved state) as a new run of
    /// `config.episodes` episodes with `config.soo` set; the baseline's actor is the frozen
    /// reference of the capability term.
    pub fn fine_tune(from: TrainerState, config: RlConfig) -> Result<Trainer> {
        let soo_config = config.soo.clone().ok_or_else(|| {
            Error::Unsupported("rl fine-tuning needs soo settings (config.soo)".into())
        })?;
        let mut trainer = Trainer::resume(from)?;
        config.validate()?;
        let baseline = trainer.state.learners[0].actor.clone();
        trainer.state.soo = Some(SooStep::new(baseline, &soo_config));
        trainer.state.config = config;
        trainer.state.episode = 0;
        trainer.replay = Replay::new(trainer.state.config.maddpg.buffer);
        Ok(trainer)
    }

    /// The saved form of the run.
    pub fn state(&self) -> &TrainerState {
        &self.state
    }

    /// The actors as they are now.
    pub fn policies(&self) -> Policies {
        Policies {
            blue: self.state.learners[0].actor.clone(),
            red: self.state.learners[1].actor.clone(),
        }
    }

    /// Whether all planned episodes are done.
    pub fn is_finished(&self) -> bool {
        self.state.episode >= self.state.config.episodes
    }

    /// The exploration noise scale of the current episode.
    fn noise_scale(&self) -> f32 {
        let m = &self.state.config.maddpg;
        let total = self.state.config.exploration_episodes() as f32;
        let left = (total - self.state.episode as f32).max(0.0) / total;
        m.final_noise + (m.init_noise - m.final_noise) * left
    }

    /// Runs one episode with exploration, storing its steps and updating every
    /// `steps_per_update` steps once the buffer holds a batch.
    pub fn episode(&mut self) -> Result<EpisodeReport> {
        let config = self.state.config.clone();
        let mut rng = stream(config.seed, EPISODE, self.state.episode as u64);
        let mut world = World::reset(&config.world, config.reward, &mut rng);
        let scale = self.noise_scale();
        // Ornstein–Uhlenbeck noise (maddpg-pytorch's OUNoise: θ 0.15, σ 0.2, reset per episode).
        let mut ou = [[0.0f32; 2]; 2];
        let mut report = EpisodeReport {
            episode: self.state.episode + 1,
            blue_losses: [0.0; 2],
            ..EpisodeReport::default()
        };
        let mut obs = joint_obs(&world);
        let policies = self.policies();
        let mut policies_stale = false;
        let mut fresh = policies;
        loop {
            if policies_stale {
                fresh = self.policies();
                policies_stale = false;
            }
            let mut actions = fresh.act(&obs);
            for a in 0..2 {
                for k in 0..2 {
                    ou[a][k] += -0.15 * ou[a][k] + 0.2 * normal(&mut rng);
                    actions[a][k] = (actions[a][k] + scale * ou[a][k]).clamp(-1.0, 1.0);
                }
            }
            let outcome = world.step(actions)?;
            let next_obs = joint_obs(&world);
            self.replay.push(&Transition {
                obs,
                actions: [actions[0][0], actions[0][1], actions[1][0], actions[1][1]],
                rewards: outcome.rewards,
                next_obs,
            });
            report.returns[0] += outcome.rewards[0];
            report.returns[1] += outcome.rewards[1];
            obs = next_obs;
            self.state.steps += 1;
            let m = &config.maddpg;
            if self.replay.len() >= m.batch_size
                && self.state.steps.is_multiple_of(m.steps_per_update as u64)
            {
                let (losses, soo) = self.update_round()?;
                report.updates += 1;
                report.blue_losses[0] += losses[0];
                report.blue_losses[1] += losses[1];
                report.soo = soo.or(report.soo);
                policies_stale = true;
            }
            if outcome.done {
                break;
            }
        }
        if report.updates == 0 {
            report.blue_losses = [f32::NAN; 2];
        } else {
            report.blue_losses[0] /= report.updates as f32;
            report.blue_losses[1] /= report.updates as f32;
        }
        report.trapped = world.trapped;
        self.state.episode += 1;
        Ok(report)
    }

    /// One round: the fine-tuning step (on fine-tuning runs), an update of each agent on its
    /// own batch, then the soft target updates. Returns blue's critic and actor losses.
    fn update_round(&mut self) -> Result<([f32; 2], Option<[f32; 2]>)> {
        let mut rng = stream(self.state.config.seed, UPDATE, self.state.updates);
        let m = self.state.config.maddpg.clone();
        let mut soo_terms = None;
        if let Some(step) = self.state.soo.as_mut() {
            let batch = self.replay.sample(m.batch_size, false, &mut rng);
            let blue_obs = columns(&batch.obs, JOINT_OBS, 0, BLUE_OBS);
            let actor = &mut self.state.learners[0].actor;
            let sight = self.state.config.world.sight_radius;
            let terms = step.apply(actor, &blue_obs, batch.rows, m.grad_clip, sight, &mut rng)?;
            soo_terms = Some([terms.overlap, terms.capability]);
        }
        let mut blue_losses = [0.0; 2];
        for a in 0..2 {
            let batch = self
                .replay
                .sample(m.batch_size, m.normalise_rewards, &mut rng);
            let losses = self.update_agent(a, &batch)?;
            if a == 0 {
                blue_losses = losses;
            }
        }
        for l in &mut self.state.learners {
            l.target_actor.soft_update(&l.actor, m.tau);
            l.target_critic.soft_update(&l.critic, m.tau);
        }
        self.state.updates += 1;
        Ok((blue_losses, soo_terms))
    }

    /// maddpg-pytorch's `MADDPG.update` for agent `a`: the critic towards
    /// `r + γ·Q'(o', π'(o'))`, then the actor up the critic's gradient with a small penalty
    /// on its raw actions. Returns the critic and actor losses.
    fn update_agent(&mut self, a: usize, batch: &Batch) -> Result<[f32; 2]> {
        let m = self.state.config.maddpg.clone();
        let rows = batch.rows;
        let obs_of = |data: &[f32], j: usize| columns(data, JOINT_OBS, OBS_AT[j], OBS[j]);
        // Critic.
        let learners = &self.state.learners;
        let target_actions: Vec<Vec<f32>> = (0..2)
            .map(|j| {
                let mut t = learners[j]
                    .target_actor
                    .forward(&obs_of(&batch.next_obs, j), rows);
                t.acts.pop().unwrap_or_default()
            })
            .collect();
        let next_in = critic_input(
            &batch.next_obs,
            [&target_actions[0], &target_actions[1]],
            rows,
        );
        let q_next = learners[a].target_critic.forward(&next_in, rows);
        let target: Vec<f32> = q_next
            .output()
            .iter()
            .zip(&batch.rewards[a])
            .map(|(q, r)| r + m.gamma * q)
            .collect();
        let taken = [
            columns(&batch.actions, 2 * ACTION, 0, ACTION),
            columns(&batch.actions, 2 * ACTION, ACTION, ACTION),
        ];
        let x = critic_input(&batch.obs, [&taken[0], &taken[1]], rows);
        let learner = &mut self.state.learners[a];
        let trace = learner.critic.forward(&x, rows);
        let q = trace.output();
        let critic_loss = q
            .iter()
            .zip(&target)
            .map(|(q, y)| (q - y) * (q - y))
            .sum::<f32>()
            / rows as f32;
        let d_q: Vec<f32> = q
            .iter()
            .zip(&target)
            .map(|(q, y)| 2.0 * (q - y) / rows as f32)
            .collect();
        let mut grads = vec![0.0; learner.critic.params.len()];
        learner
            .critic
            .backward(&trace, &[None, None, None, Some(&d_q)], &mut grads);
        clip_grad_norm(&mut grads, m.grad_clip);
        learner.critic_opt.step(&mut learner.critic.params, &grads);
        // Actor.
        let own_obs = obs_of(&batch.obs, a);
        let own = self.state.learners[a].actor.forward(&own_obs, rows);
        let other = 1 - a;
        let mut other_trace = self.state.learners[other]
            .actor
            .forward(&obs_of(&batch.obs, other), rows);
        let other_actions = other_trace.acts.pop().unwrap_or_default();
        let mut acts: [&[f32]; 2] = [&[], &[]];
        acts[a] = own.output();
        acts[other] = &other_actions;
        let x = critic_input(&batch.obs, acts, rows);
        let learner = &mut self.state.learners[a];
        let trace = learner.critic.forward(&x, rows);
        let out = own.output();
        let penalty = m.action_penalty * out.iter().map(|v| v * v).sum::<f32>() / out.len() as f32;
        let actor_loss = -trace.output().iter().sum::<f32>() / rows as f32 + penalty;
        let d_q = vec![-1.0 / rows as f32; rows];
        let mut scratch = vec![0.0; learner.critic.params.len()];
        let d_x = learner
            .critic
            .backward(&trace, &[None, None, None, Some(&d_q)], &mut scratch);
        let at = JOINT_OBS + a * ACTION;
        let d_action: Vec<f32> = (0..rows * ACTION)
            .map(|i| {
                let (r, k) = (i / ACTION, i % ACTION);
                d_x[r * CRITIC_IN + at + k] + 2.0 * m.action_penalty * out[i] / out.len() as f32
            })
            .collect();
        let mut grads = vec![0.0; learner.actor.params.len()];
        learner
            .actor
            .backward(&own, &[None, None, None, Some(&d_action)], &mut grads);
        clip_grad_norm(&mut grads, m.grad_clip);
        learner.actor_opt.step(&mut learner.actor.params, &grads);
        if !critic_loss.is_finite() || !actor_loss.is_finite() {
            return Err(Error::Unsupported(format!(
                "rl training diverged at update {} (agent {a}: critic loss {critic_loss}, actor loss {actor_loss})",
                self.state.updates + 1
            )));
        }
        Ok([critic_loss, actor_loss])
    }
}

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut SplitMix64) -> f32 {
    let u1 = rng.next_unit_f32().max(f32::MIN_POSITIVE);
    let u2 = rng.next_unit_f32();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}
