//! The reinforcement-learning world: its shared physics against Farama's MPE (`mpe2`), and the
//! method's modifications (sight, walls, trap, observations, rewards, resets, bad settings).

use serde_json::Value;
use soo_core::base::rng::SplitMix64;
use soo_core::rl::config::{Integration, Reward, RlConfig, WorldConfig};
use soo_core::rl::observe;
use soo_core::rl::physics::{self, Body};
use soo_core::rl::world::{BLUE, RED, World};

fn pair(v: &Value) -> [f32; 2] {
    [v[0].as_f64().unwrap() as f32, v[1].as_f64().unwrap() as f32]
}

fn body(v: &Value) -> Body {
    Body {
        pos: pair(&v["pos"]),
        vel: pair(&v["vel"]),
    }
}

/// Replays `core/tests/fixtures/rl/mpe_physics.json` (written by `scripts/rl/mpe_fixture.py`
/// from `mpe2`'s own `World.step`, in float64): 30 steps of both agents under random
/// continuous actions, without and with MPE's soft contact. soo computes in float32, so the
/// positions and velocities must agree within 1e-4 (the largest gap seen is about 1e-6).
#[test]
fn shared_physics_matches_mpe2() {
    let text = std::fs::read_to_string("tests/fixtures/rl/mpe_physics.json").unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut worst = 0.0f32;
    for trace in fixture["traces"].as_array().unwrap() {
        let world = WorldConfig {
            collide: trace["collide"].as_bool().unwrap(),
            dt: trace["dt"].as_f64().unwrap() as f32,
            damping: trace["damping"].as_f64().unwrap() as f32,
            mass: trace["mass"].as_f64().unwrap() as f32,
            contact_force: trace["contact_force"].as_f64().unwrap() as f32,
            contact_margin: trace["contact_margin"].as_f64().unwrap() as f32,
            agent_size: trace["agent_size"].as_f64().unwrap() as f32,
            integration: Integration::Farama,
            ..WorldConfig::default()
        };
        let mut bodies: Vec<Body> = trace["start"]
            .as_array()
            .unwrap()
            .iter()
            .map(body)
            .collect();
        let mut touched = false;
        for step in trace["steps"].as_array().unwrap() {
            let forces: Vec<[f32; 2]> = step["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let a = pair(a);
                    [a[0] * world.sensitivity, a[1] * world.sensitivity]
                })
                .collect();
            touched |= physics::dist(bodies[0].pos, bodies[1].pos) < 2.0 * world.agent_size;
            physics::step(&mut bodies, &forces, world.agent_size, &world);
            for (ours, theirs) in bodies.iter().zip(step["agents"].as_array().unwrap()) {
                let theirs = body(theirs);
                for k in 0..2 {
                    worst = worst.max((ours.pos[k] - theirs.pos[k]).abs());
                    worst = worst.max((ours.vel[k] - theirs.vel[k]).abs());
                }
            }
        }
        if world.collide {
            assert!(
                touched,
                "the contact trace never brought the agents into contact"
            );
        }
    }
    assert!(worst < 1e-4, "largest difference from mpe2: {worst}");
}

/// OpenAI's order is Farama's arithmetic with the move after the velocity update: from the
/// same start, OpenAI's position after a step equals Farama's position after the step plus
/// `dt` times the velocity change of that step.
#[test]
fn openai_order_moves_with_the_new_velocity() {
    let start = Body {
        pos: [0.2, -0.3],
        vel: [0.5, 0.1],
    };
    let force = [[2.0, -1.5]];
    let worlds = [Integration::OpenAi, Integration::Farama].map(|integration| WorldConfig {
        integration,
        ..WorldConfig::default()
    });
    let [mut openai, mut farama] = [vec![start], vec![start]];
    physics::step(&mut openai, &force, 0.15, &worlds[0]);
    physics::step(&mut farama, &force, 0.15, &worlds[1]);
    assert_eq!(openai[0].vel, farama[0].vel);
    for k in 0..2 {
        let expected = farama[0].pos[k] + worlds[1].dt * (farama[0].vel[k] - start.vel[k]);
        assert!((openai[0].pos[k] - expected).abs() < 1e-6);
    }
}

/// The contact force pushes overlapping discs apart and vanishes for distant ones.
#[test]
fn contact_force_pushes_apart() {
    let w = WorldConfig::default();
    let f = physics::contact_force([0.0, 0.0], 0.15, [0.2, 0.0], 0.15, &w);
    assert!(f[0] < -1.0 && f[1].abs() < 1e-6, "{f:?}");
    let far = physics::contact_force([0.0, 0.0], 0.15, [1.0, 0.0], 0.15, &w);
    assert!(far[0].abs() < 1e-6, "{far:?}");
}

#[test]
fn resets_start_in_sight_within_the_walls() {
    let config = WorldConfig::default();
    for seed in 0..500 {
        let w = World::reset(&config, Reward::Deceptive, &mut SplitMix64::new(seed));
        assert!(w.in_sight(), "seed {seed}: {:?}", w.agents);
        for b in &w.agents {
            assert!(b.pos.iter().all(|p| p.abs() <= config.wall));
        }
        let o = observe::blue(&w);
        assert!(observe::blue_sees_red(&o));
        assert_eq!(o[8..10], [1.0, 0.0]);
    }
}

#[test]
fn observations_hide_the_other_agent_out_of_sight() {
    let config = WorldConfig::default();
    let mut w = World::reset(&config, Reward::Honest, &mut SplitMix64::new(3));
    w.agents[RED].pos = [w.agents[BLUE].pos[0] + 0.5, w.agents[BLUE].pos[1]];
    let (b, r) = (observe::blue(&w), observe::red(&w));
    assert_eq!(b.len(), 10);
    assert_eq!(r.len(), 6);
    assert_eq!(b[6..8], [0.0, 0.0]);
    assert_eq!(r[4..6], [0.0, 0.0]);
    // The goal offset repeats one of the two landmark offsets.
    let goal = &b[0..2];
    assert!(goal == &b[2..4] || goal == &b[4..6]);
    // In sight: the offsets are exact and opposite.
    w.agents[RED].pos = [w.agents[BLUE].pos[0] + 0.1, w.agents[BLUE].pos[1]];
    let (b, r) = (observe::blue(&w), observe::red(&w));
    assert!((b[6] - 0.1).abs() < 1e-6 && (r[4] + 0.1).abs() < 1e-6);
}

#[test]
fn walls_stop_agents() {
    let config = WorldConfig::default();
    let mut w = World::reset(&config, Reward::Honest, &mut SplitMix64::new(5));
    for _ in 0..50 {
        w.step([[1.0, 1.0], [-1.0, -1.0]]).unwrap();
    }
    assert_eq!(w.agents[BLUE].pos, [1.0, 1.0]);
    assert_eq!(w.agents[RED].pos, [-1.0, -1.0]);
}

#[test]
fn red_is_trapped_at_the_fake_and_rewards_follow_the_kind() {
    let config = WorldConfig::default();
    let mut w = World::reset(&config, Reward::Deceptive, &mut SplitMix64::new(9));
    let fake = w.landmarks[w.fake()];
    w.agents[RED].pos = [fake[0] + 0.1, fake[1]];
    let outcome = w.step([[0.0, 0.0], [0.0, 0.0]]).unwrap();
    assert!(w.trapped);
    assert_eq!(observe::blue(&w)[8..10], [0.0, 1.0]);
    let held = w.agents[RED].pos;
    w.step([[0.0, 0.0], [1.0, 1.0]]).unwrap();
    assert_eq!(w.agents[RED].pos, held, "a trapped red does not move");
    assert!(
        (outcome.rewards[0] + 0.1).abs() < 1e-5,
        "{:?}",
        outcome.rewards
    );
    let goal = w.landmarks[w.goal];
    let expected = -physics::dist(w.agents[BLUE].pos, goal);
    assert!((w.blue_reward(Reward::Honest) - expected).abs() < 1e-6);
}

#[test]
fn episodes_end_after_their_steps() {
    let config = WorldConfig::default();
    let mut w = World::reset(&config, Reward::Honest, &mut SplitMix64::new(1));
    for t in 1..=50 {
        let o = w.step([[0.3, -0.2], [0.1, 0.1]]).unwrap();
        assert_eq!(o.done, t == 50);
    }
}

#[test]
fn bad_settings_and_inputs_are_one_clear_error() {
    let mut config = RlConfig::default();
    config.world.agent_size = 3.0;
    let e = config.validate().unwrap_err().to_string();
    assert!(e.contains("world.agent_size") && e.contains("3"), "{e}");
    let mut config = RlConfig::default();
    config.world.sight_radius = f32::NAN;
    assert!(
        config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("sight_radius")
    );
    let mut config = RlConfig::default();
    config.maddpg.buffer = 10;
    assert!(
        config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("maddpg.buffer")
    );
    let mut w = World::reset(
        &WorldConfig::default(),
        Reward::Honest,
        &mut SplitMix64::new(1),
    );
    let e = w
        .step([[f32::NAN, 0.0], [0.0, 0.0]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("non-finite action"), "{e}");
    // A NaN position (a broken state) surfaces as a NaN reward error, not a silent NaN.
    w.agents[RED].pos = [f32::NAN, 0.0];
    let e = w.step([[0.0, 0.0], [0.0, 0.0]]).unwrap_err().to_string();
    assert!(e.contains("non-finite reward"), "{e}");
}
