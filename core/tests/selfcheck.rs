//! The self-check step on the CPU backend equals PyTorch's (fixture made by
//! `scripts/fixtures/tiny_mlp_step.py`).

use serde::Deserialize;
use soo_core::device::flex_device;
use soo_core::selfcheck::{TinyStepConfig, run_tiny_step};

#[derive(Deserialize)]
struct Reference {
    config: TinyStepConfig,
    loss_before: f32,
    loss_after: f32,
    weights_after: Vec<f32>,
}

const TOLERANCE: f32 = 1e-6;

#[test]
fn tiny_step_on_flex_matches_pytorch() {
    let reference: Reference =
        serde_json::from_str(include_str!("fixtures/tiny_mlp_step.json")).expect("fixture parses");
    assert_eq!(
        serde_json::to_value(&reference.config).unwrap(),
        serde_json::to_value(TinyStepConfig::default()).unwrap(),
        "the fixture was made for the default self-check config"
    );
    let report = pollster::block_on(run_tiny_step(&reference.config, &flex_device())).unwrap();

    assert!((report.loss_before - reference.loss_before).abs() < TOLERANCE);
    assert!((report.loss_after - reference.loss_after).abs() < TOLERANCE);
    assert!(
        report.loss_after < report.loss_before,
        "one Adam step lowers the loss"
    );
    assert_eq!(report.weights_after.len(), reference.weights_after.len());
    let max_diff = report
        .weights_after
        .iter()
        .zip(&reference.weights_after)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        max_diff < TOLERANCE,
        "weights differ from PyTorch by {max_diff}"
    );
}
