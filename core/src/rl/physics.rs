//! The shared physics of OpenAI's multi-agent particle environments (MPE): action force,
//! optional soft contact, damping, the force's velocity change and the move. Two step orders
//! exist ([`Integration`]): OpenAI's original (velocity, then position: what the paper's
//! authors ran) and Farama's `mpe2`/PettingZoo (position from the old velocity, then
//! velocity). The parity test (`core/tests/rl_world.rs`) replays a fixture written by `mpe2`
//! itself in Farama's order, and checks that OpenAI's order is the same arithmetic with the
//! move taken after the velocity update.

use super::config::{Integration, WorldConfig};

/// A 2-D vector.
pub type Vec2 = [f32; 2];

/// A moving disc.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Body {
    /// Centre.
    pub pos: Vec2,
    /// Velocity.
    pub vel: Vec2,
}

/// `a - b`.
pub fn sub(a: Vec2, b: Vec2) -> Vec2 {
    [a[0] - b[0], a[1] - b[1]]
}

/// Euclidean length.
pub fn norm(v: Vec2) -> f32 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

/// Distance between two points.
pub fn dist(a: Vec2, b: Vec2) -> f32 {
    norm(sub(a, b))
}

/// MPE's `get_collision_force` between discs of radius `size_a` and `size_b`: a softplus
/// penetration `k·log(1 + exp(-(d - d_min)/k))` times `contact_force`, along the centre line.
/// Returns the force on `a` (the force on `b` is its negative).
pub fn contact_force(a: Vec2, size_a: f32, b: Vec2, size_b: f32, world: &WorldConfig) -> Vec2 {
    let delta = sub(a, b);
    let d = norm(delta);
    if d == 0.0 {
        // MPE divides by zero here (NaN); two coincident centres get no push instead.
        return [0.0, 0.0];
    }
    let k = world.contact_margin as f64;
    let x = -(d as f64 - (size_a + size_b) as f64) / k;
    // numpy's logaddexp(0, x), computed without overflow.
    let softplus = x.max(0.0) + (-x.abs()).exp().ln_1p();
    let scale = world.contact_force as f64 * softplus * k / d as f64;
    [
        (delta[0] as f64 * scale) as f32,
        (delta[1] as f64 * scale) as f32,
    ]
}

/// One MPE step of `bodies` (each of radius `size`) under the action forces `forces`
/// (already multiplied by the sensitivity), contacts included when `world.collide`.
/// Farama's order: `pos += vel·dt`, then `vel = vel·(1 - damping) + force/mass·dt`; OpenAI's:
/// the velocity first, then `pos += vel·dt` with the new velocity.
pub fn step(bodies: &mut [Body], forces: &[Vec2], size: f32, world: &WorldConfig) {
    let mut total: Vec<Vec2> = forces.to_vec();
    if world.collide {
        for a in 0..bodies.len() {
            for b in a + 1..bodies.len() {
                let f = contact_force(bodies[a].pos, size, bodies[b].pos, size, world);
                total[a] = [total[a][0] + f[0], total[a][1] + f[1]];
                total[b] = [total[b][0] - f[0], total[b][1] - f[1]];
            }
        }
    }
    for (body, force) in bodies.iter_mut().zip(&total) {
        for (axis, f) in force.iter().enumerate() {
            if world.integration == Integration::Farama {
                body.pos[axis] += body.vel[axis] * world.dt;
            }
            body.vel[axis] = body.vel[axis] * (1.0 - world.damping) + f / world.mass * world.dt;
            if world.integration == Integration::OpenAi {
                body.pos[axis] += body.vel[axis] * world.dt;
            }
        }
    }
}

/// The method's walls (not in MPE): a centre past `±wall` is put back on the wall and its
/// velocity across the wall is stopped.
pub fn apply_walls(body: &mut Body, wall: f32) {
    for axis in 0..2 {
        if body.pos[axis].abs() > wall {
            body.pos[axis] = body.pos[axis].clamp(-wall, wall);
            body.vel[axis] = 0.0;
        }
    }
}
