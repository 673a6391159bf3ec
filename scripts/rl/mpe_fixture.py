#!/usr/bin/env python3
"""Writes core/tests/fixtures/rl/mpe_physics.json: trajectories of Farama's MPE physics
(`mpe2`, the `simple_adversary` scenario's world, `World.step`) under fixed continuous actions,
which `core/tests/rl_world.rs` replays against soo's world.

Two traces: `simple_adversary` as it is (agents do not collide), and the same world with the
agents' `collide` switched on and their starts close, to check MPE's soft contact force. The
actions are MPE's 5-value continuous actions `[no-op, left, right, down, up]`; the script also
writes the 2-D action soo takes, `(right - left, up - down)` (both give force 5 * that).

Usage: pip install mpe2==1.1.1 && python3 scripts/rl/mpe_fixture.py
"""

import json
import os

import numpy as np
from mpe2.simple_adversary.simple_adversary import Scenario

STEPS = 30
OUT = os.path.join(os.path.dirname(__file__), "../../core/tests/fixtures/rl/mpe_physics.json")


def trace(collide: bool, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    scenario = Scenario()
    world = scenario.make_world(N=2)
    scenario.reset_world(world, rng)
    # simple_adversary has one adversary (red) and N good agents; keep one good agent (blue),
    # as the method's world has two agents.
    red, blue = world.agents[0], world.agents[1]
    world.agents = [blue, red]
    for agent in world.agents:
        agent.collide = collide
    if collide:
        red.state.p_pos = blue.state.p_pos + np.array([0.2, -0.1])
    start = [
        {"pos": a.state.p_pos.tolist(), "vel": a.state.p_vel.tolist()} for a in world.agents
    ]
    steps = []
    for _ in range(STEPS):
        mpe_actions = rng.uniform(0.0, 1.0, size=(2, 5))
        for agent, a in zip(world.agents, mpe_actions):
            # simple_env.SimpleEnv._set_action, continuous branch.
            agent.action.u = np.zeros(world.dim_p)
            agent.action.u[0] += a[2] - a[1]
            agent.action.u[1] += a[4] - a[3]
            agent.action.u *= 5.0 if agent.accel is None else agent.accel
            agent.action.c = np.zeros(world.dim_c)
        world.step()
        steps.append(
            {
                "mpe_actions": mpe_actions.tolist(),
                "actions": [[a[2] - a[1], a[4] - a[3]] for a in mpe_actions],
                "agents": [
                    {"pos": a.state.p_pos.tolist(), "vel": a.state.p_vel.tolist()}
                    for a in world.agents
                ],
            }
        )
    return {
        "collide": collide,
        "agent_size": blue.size,
        "dt": world.dt,
        "damping": world.damping,
        "mass": blue.mass,
        "contact_force": world.contact_force,
        "contact_margin": world.contact_margin,
        "start": start,
        "steps": steps,
    }


def main() -> None:
    import mpe2

    fixture = {
        "made_by": "scripts/rl/mpe_fixture.py",
        "reference": f"mpe2 {getattr(mpe2, '__version__', '?')}: simple_adversary world, core.World.step",
        "traces": [trace(False, 1), trace(True, 2)],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
