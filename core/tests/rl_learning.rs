//! The learning parts of the reinforcement-learning experiment: the networks' gradients and
//! the SOO fine-tuning gradient against central finite differences, and a short MADDPG run
//! that must improve blue's return on a fixed seed.

use soo_core::base::rng::SplitMix64;
use soo_core::rl::config::{Reward, RlConfig, SooConfig, SooVariant};
use soo_core::rl::maddpg::{Trainer, TrainerState};
use soo_core::rl::measures;
use soo_core::rl::mlp::{Mlp, OutputFn};
use soo_core::rl::soo;

/// Checks `analytic` against central differences (step `h`) of `loss` at `params`, for
/// `probes` parameters drawn at random: |a - fd| <= 2e-2·max(|a|, |fd|) + `abs_tol`. A probe
/// whose step crosses a Leaky-ReLU kink can miss: at most 3% may, and at least a quarter of
/// the probes must have a gradient larger than 10·`abs_tol` (so the check is not vacuous).
fn check_gradient(
    params: &[f32],
    analytic: &[f32],
    probes: usize,
    h: f32,
    abs_tol: f64,
    loss: impl Fn(&[f32]) -> f64,
) {
    let mut rng = SplitMix64::new(99);
    let mut p = params.to_vec();
    let (mut significant, mut misses) = (0, Vec::new());
    for _ in 0..probes {
        let i = (rng.next_u64() % params.len() as u64) as usize;
        p[i] = params[i] + h;
        let up = loss(&p);
        p[i] = params[i] - h;
        let down = loss(&p);
        p[i] = params[i];
        let fd = (up - down) / (2.0 * h as f64);
        let a = analytic[i] as f64;
        if (a - fd).abs() > 2e-2 * a.abs().max(fd.abs()) + abs_tol {
            misses.push((i, a, fd));
        }
        significant += usize::from(a.abs() > 10.0 * abs_tol);
    }
    assert!(
        misses.len() * 100 <= 3 * probes,
        "{} of {probes} probes disagree (parameter, analytic, finite difference): {misses:?}",
        misses.len()
    );
    assert!(
        significant > probes / 4,
        "too few probes with a gradient: {significant}"
    );
}

#[test]
fn network_gradients_match_finite_differences() {
    let mut rng = SplitMix64::new(1);
    for output in [OutputFn::Tanh, OutputFn::Identity] {
        let net = Mlp::new(&[6, 16, 16, 3], output, &mut rng);
        let mut net = net;
        // Larger last-layer weights than the actor's init, so that tanh is not linear.
        for p in net.params.iter_mut() {
            *p *= 3.0;
        }
        let rows = 5;
        let x = rng.uniform_vec(rows * 6, 1.0);
        let coef: Vec<Vec<f32>> = [16, 16, 3]
            .iter()
            .map(|&w| rng.uniform_vec(rows * w, 1.0))
            .collect();
        // Loss: a fixed linear function of both hidden layers and the output.
        let loss = |params: &[f32]| {
            let n = Mlp {
                params: params.to_vec(),
                ..net.clone()
            };
            let t = n.forward(&x, rows);
            (1..=3)
                .map(|l| {
                    t.acts[l]
                        .iter()
                        .zip(&coef[l - 1])
                        .map(|(a, c)| (a * c) as f64)
                        .sum::<f64>()
                })
                .sum::<f64>()
        };
        let trace = net.forward(&x, rows);
        let mut grads = vec![0.0; net.params.len()];
        let d_x = net.backward(
            &trace,
            &[None, Some(&coef[0]), Some(&coef[1]), Some(&coef[2])],
            &mut grads,
        );
        check_gradient(&net.params, &grads, 300, 1e-4, 5e-3, loss);
        assert_eq!(d_x.len(), rows * 6);
    }
}

#[test]
fn soo_gradient_matches_finite_differences() {
    let mut rng = SplitMix64::new(2);
    let mut actor = Mlp::new(&[10, 64, 64, 2], OutputFn::Tanh, &mut rng);
    let mut baseline = Mlp::new(&[10, 64, 64, 2], OutputFn::Tanh, &mut rng);
    // A baseline whose actions differ clearly from the actor's (a capability term of order 1).
    for p in baseline.params.iter_mut() {
        *p *= 30.0;
    }
    for p in actor.params.iter_mut() {
        *p *= 2.0;
    }
    let rows = 12;
    let mut obs = rng.uniform_vec(rows * 10, 1.0);
    // Half the rows with red out of sight (offset zero).
    for r in (0..rows).step_by(2) {
        obs[r * 10 + 6] = 0.0;
        obs[r * 10 + 7] = 0.0;
    }
    for variant in [
        SooVariant::Overlap,
        SooVariant::CapabilityOnly,
        SooVariant::RandomOther,
    ] {
        let config = SooConfig {
            variant,
            overlap_weight: 3.0,
            capability_weight: 2.0,
            ..SooConfig::default()
        };
        let run = |params: &[f32]| {
            let net = Mlp {
                params: params.to_vec(),
                ..actor.clone()
            };
            soo::loss_and_gradient(
                &net,
                &baseline,
                &obs,
                rows,
                &config,
                0.125,
                &mut SplitMix64::new(7),
            )
        };
        let (loss, terms, grads) = run(&actor.params);
        assert!(loss > 0.0);
        if variant == SooVariant::CapabilityOnly {
            assert_eq!(terms.overlap, 0.0);
        } else {
            assert_eq!(terms.rows_out_of_sight, rows / 2);
            assert!(terms.overlap > 0.0);
        }
        check_gradient(&actor.params, &grads, 300, 1e-3, 3e-5, |p| run(p).0);
    }
}

/// A small, fast recipe (debug builds): the same algorithm with 16-16 networks, batches of 64
/// and an update round every 5 steps at lr 0.003 (measured natively: blue's honest return
/// went from -67 to -19 within 300 episodes on seed 4).
fn small(reward: Reward, episodes: usize) -> RlConfig {
    let mut config = RlConfig {
        reward,
        episodes,
        seed: 4,
        ..RlConfig::default()
    };
    config.maddpg.hidden = 16;
    config.maddpg.lr = 0.003;
    config.maddpg.batch_size = 64;
    config.maddpg.steps_per_update = 5;
    config.maddpg.buffer = 20_000;
    config
}

/// 150 episodes of the honest reward must raise blue's noise-free return (50 evaluation
/// episodes) by at least 5 over the untrained policy, which barely moves.
#[test]
fn maddpg_improves_blue_on_a_fixed_seed() {
    let config = small(Reward::Honest, 150);
    let mut trainer = Trainer::new(config.clone()).unwrap();
    let before = measures::evaluate(&trainer.policies(), &config.world, 50, 77).unwrap();
    while !trainer.is_finished() {
        trainer.episode().unwrap();
    }
    let after = measures::evaluate(&trainer.policies(), &config.world, 50, 77).unwrap();
    assert!(
        after.blue_return_honest > before.blue_return_honest + 5.0,
        "blue's honest return went from {} to {}",
        before.blue_return_honest,
        after.blue_return_honest
    );
}

#[test]
fn fine_tuning_and_checkpoints() {
    let mut trainer = Trainer::new(small(Reward::Deceptive, 30)).unwrap();
    while !trainer.is_finished() {
        trainer.episode().unwrap();
    }
    // A checkpoint survives JSON and resumes.
    let json = serde_json::to_string(trainer.state()).unwrap();
    let state: TrainerState = serde_json::from_str(&json).unwrap();
    assert_eq!(&state, trainer.state());
    let mut config = small(Reward::Deceptive, 10);
    config.soo = Some(SooConfig::default());
    let mut tuned = Trainer::fine_tune(state.clone(), config).unwrap();
    let mut saw_soo = false;
    while !tuned.is_finished() {
        saw_soo |= tuned.episode().unwrap().soo.is_some();
    }
    assert!(saw_soo, "no fine-tuning step ran");
    assert_ne!(tuned.policies().blue, trainer.policies().blue);
    // A damaged checkpoint is one clear error.
    let mut broken = state;
    broken.learners[0].actor.params.pop();
    let e = Trainer::resume(broken).err().unwrap().to_string();
    assert!(e.contains("blue policy"), "{e}");
}
