//! What each agent observes (docs/method.md §7).
//!
//! Blue (10 values): offsets to the goal, to landmark 0 and to landmark 1, to red when in
//! sight (else 0), and the flag `[1, 0]` (red free) or `[0, 1]` (red trapped at the fake).
//! Red (6 values): offsets to landmark 0 and landmark 1, and to blue when in sight (else 0).

use super::physics::{Vec2, sub};
use super::world::{BLUE, RED, World};

/// Width of blue's observation.
pub const BLUE_OBS: usize = 10;
/// Width of red's observation.
pub const RED_OBS: usize = 6;
/// Where blue's offset to red sits in its observation.
pub const BLUE_SEES_RED: usize = 6;
/// Width of each action.
pub const ACTION: usize = 2;

/// Blue's observation.
pub fn blue(world: &World) -> [f32; BLUE_OBS] {
    let me = world.agents[BLUE].pos;
    let other = sighted(world, RED);
    let [goal, l0, l1] = [
        sub(world.landmarks[world.goal], me),
        sub(world.landmarks[0], me),
        sub(world.landmarks[1], me),
    ];
    let flag = if world.trapped {
        [0.0, 1.0]
    } else {
        [1.0, 0.0]
    };
    [
        goal[0], goal[1], l0[0], l0[1], l1[0], l1[1], other[0], other[1], flag[0], flag[1],
    ]
}

/// Red's observation.
pub fn red(world: &World) -> [f32; RED_OBS] {
    let me = world.agents[RED].pos;
    let other = sighted(world, BLUE);
    let [l0, l1] = [sub(world.landmarks[0], me), sub(world.landmarks[1], me)];
    [l0[0], l0[1], l1[0], l1[1], other[0], other[1]]
}

/// The offset from the agent that is not `whom` to `whom`, or zero when out of sight.
fn sighted(world: &World, whom: usize) -> Vec2 {
    if world.in_sight() {
        sub(world.agents[whom].pos, world.agents[1 - whom].pos)
    } else {
        [0.0, 0.0]
    }
}

/// Whether blue's observation `obs` shows red (a zero offset means out of sight).
pub fn blue_sees_red(obs: &[f32]) -> bool {
    obs[BLUE_SEES_RED] != 0.0 || obs[BLUE_SEES_RED + 1] != 0.0
}

/// Blue's observation `obs` with red placed at `offset` from blue (the SOO "other" input).
pub fn with_red_at(obs: &[f32], offset: Vec2) -> [f32; BLUE_OBS] {
    let mut out = [0.0; BLUE_OBS];
    out.copy_from_slice(&obs[..BLUE_OBS]);
    out[BLUE_SEES_RED] = offset[0];
    out[BLUE_SEES_RED + 1] = offset[1];
    out
}
