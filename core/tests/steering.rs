//! The steering baseline on the tiny random models: strength 0 changes nothing, a nonzero
//! strength moves the hooked module's output by exactly `strength · v` (and the generation path
//! with its cache sees the same), the difference-of-means vector equals one computed by hand
//! from `Model::activations`, the files round-trip, and bad input is one error naming the file.

mod common;

use burn::tensor::{Int, Tensor, TensorData};
use soo_core::burn;
use soo_core::device::flex_device;
use soo_core::lora::Lora;
use soo_core::model::{Model, ModulePath, Positions, Site, Steering};
use soo_core::steering::file::{INFO_FILE, VECTOR_FILE, check_fits, encode, read_dir, write_dir};
use soo_core::steering::{SteeringVector, mean_difference};

use common::max_abs_diff;

const FAMILIES: [&str; 4] = ["llama", "mistral", "qwen2", "gemma2"];

fn tiny(family: &str) -> Model<Lora> {
    common::tiny_model(family, &flex_device())
}

fn ids(tokens: &[u32]) -> Tensor<2, Int> {
    let values: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
    Tensor::from_data(TensorData::new(values, [1, tokens.len()]), &flex_device())
}

fn host<const D: usize>(x: Tensor<D>) -> Vec<f32> {
    x.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

const PROMPT: [u32; 6] = [1, 17, 4, 29, 8, 3];

/// A fixed, not-small vector as wide as the hidden state.
fn some_vector(width: usize) -> Vec<f32> {
    (0..width)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.3)
        .collect()
}

fn hook() -> ModulePath {
    ModulePath::new(1, Site::OProj)
}

#[test]
fn strength_zero_gives_exactly_the_unsteered_logits() {
    for family in FAMILIES {
        let mut model = tiny(family);
        let plain = host(model.forward(ids(&PROMPT), None, &[]).unwrap().logits);
        let width = model.hidden_size();
        let steering = Steering::new(hook(), some_vector(width), 0.0).unwrap();
        model.set_steering(Some(steering)).unwrap();
        let steered = host(model.forward(ids(&PROMPT), None, &[]).unwrap().logits);
        assert_eq!(plain, steered, "{family}");
    }
}

#[test]
fn a_strength_moves_the_hooked_output_by_exactly_strength_times_v() {
    for family in FAMILIES {
        let mut model = tiny(family);
        let width = model.hidden_size();
        let vector = some_vector(width);
        let upstream = ModulePath::new(1, Site::QProj);
        let wanted = [hook(), upstream];
        let plain = model.forward(ids(&PROMPT), None, &wanted).unwrap();
        let strength = 2.5f32;
        model
            .set_steering(Some(
                Steering::new(hook(), vector.clone(), strength).unwrap(),
            ))
            .unwrap();
        let steered = model.forward(ids(&PROMPT), None, &wanted).unwrap();

        let (a, b) = (
            host(plain.captures[&hook()].clone()),
            host(steered.captures[&hook()].clone()),
        );
        let moved: Vec<f32> = b.iter().zip(&a).map(|(x, y)| x - y).collect();
        let expected: Vec<f32> = (0..PROMPT.len())
            .flat_map(|_| vector.iter().map(|v| strength * v))
            .collect();
        assert!(
            max_abs_diff(&moved, &expected) < 1e-4,
            "{family}: moved by {}",
            max_abs_diff(&moved, &expected)
        );
        // What runs before the hook is untouched; what runs after it moves.
        assert_eq!(
            host(plain.captures[&upstream].clone()),
            host(steered.captures[&upstream].clone()),
            "{family}"
        );
        let (plain_logits, steered_logits) = (host(plain.logits), host(steered.logits));
        assert!(
            max_abs_diff(&plain_logits, &steered_logits) > 1e-3,
            "{family}"
        );
        // The base model (the KL reference) is never steered.
        let base = host(model.forward_base(ids(&PROMPT), None).unwrap());
        assert_eq!(base, plain_logits, "{family}");
    }
}

/// Generation decodes with a cache, a token at a time: it must be steered exactly as a full pass.
#[test]
fn the_cached_pass_is_steered_as_the_full_pass() {
    let mut model = tiny("llama");
    let width = model.hidden_size();
    let unsteered = host(model.forward(ids(&PROMPT), None, &[]).unwrap().logits);
    model
        .set_steering(Some(
            Steering::new(hook(), some_vector(width), 3.0).unwrap(),
        ))
        .unwrap();
    let full = host(model.forward(ids(&PROMPT), None, &[]).unwrap().logits);
    assert!(max_abs_diff(&full, &unsteered) > 1e-3);
    let vocab = model.vocab_size();
    let mut cache = model.new_cache();
    let mut last = Vec::new();
    for &token in &PROMPT {
        last = host(
            model
                .forward_cached(ids(&[token]), None, &mut cache, &[])
                .unwrap()
                .logits,
        );
    }
    let full_last = &full[(PROMPT.len() - 1) * vocab..];
    assert!(max_abs_diff(full_last, &last) < 1e-4);
}

#[test]
fn a_misfit_steering_is_refused() {
    let mut model = tiny("llama");
    let width = model.hidden_size();
    let narrow = Steering::new(hook(), vec![1.0; width - 1], 1.0).unwrap();
    let err = model.set_steering(Some(narrow)).unwrap_err().to_string();
    assert!(err.contains("wide"), "{err}");
    let deep = Steering::new(ModulePath::new(99, Site::OProj), vec![1.0; width], 1.0).unwrap();
    let err = model.set_steering(Some(deep)).unwrap_err().to_string();
    assert!(err.contains("layers.99"), "{err}");
    let err = Steering::new(hook(), vec![1.0, f32::NAN], 1.0).unwrap_err();
    assert!(err.to_string().contains("not finite"), "{err}");
    assert!(model.steering().is_none());
}

fn pairs() -> Vec<(Vec<u32>, Vec<u32>)> {
    vec![
        (vec![1, 5, 9, 13, 17], vec![1, 6, 9, 14]),
        (vec![1, 40, 41, 42], vec![1, 50, 41, 42, 43, 44]),
        (vec![1, 7], vec![1, 8, 9]),
    ]
}

/// The hook's output on one prompt alone (no batch, no padding): `[seq][width]`.
fn rows(model: &Model<Lora>, path: ModulePath, tokens: &[u32]) -> Vec<Vec<f32>> {
    let taken = model
        .activations(ids(tokens), None, &[path], false)
        .unwrap();
    let x = taken[&path].clone();
    let width = x.dims()[2];
    host(x).chunks(width).map(<[f32]>::to_vec).collect()
}

/// `mean_difference` against the same thing computed by hand, one prompt at a time.
#[test]
fn the_vector_is_the_mean_difference_computed_by_hand() {
    let model = tiny("llama");
    for positions in [Positions::Last, Positions::Mean] {
        let pool = |rows: Vec<Vec<f32>>| -> Vec<f64> {
            let width = rows[0].len();
            match positions {
                Positions::Last => rows.last().unwrap().iter().map(|&v| f64::from(v)).collect(),
                _ => (0..width)
                    .map(|i| rows.iter().map(|r| f64::from(r[i])).sum::<f64>() / rows.len() as f64)
                    .collect(),
            }
        };
        let norm_of = |rows: Vec<Vec<f32>>| -> f64 {
            let norms: Vec<Vec<f32>> = rows
                .iter()
                .map(|r| vec![r.iter().map(|v| v * v).sum::<f32>().sqrt()])
                .collect();
            pool(norms)[0]
        };
        let width = model.hidden_size();
        let mut by_hand = vec![0.0f64; width];
        let mut activation_norm = 0.0f64;
        let mut residual_norm = 0.0f64;
        let residual = ModulePath::new(hook().layer, Site::Residual);
        for (s, o) in pairs() {
            let (a, b) = (
                pool(rows(&model, hook(), &s)),
                pool(rows(&model, hook(), &o)),
            );
            for i in 0..width {
                by_hand[i] += (a[i] - b[i]) / pairs().len() as f64;
            }
            for side in [&s, &o] {
                activation_norm += norm_of(rows(&model, hook(), side)) / 6.0;
                residual_norm += norm_of(rows(&model, residual, side)) / 6.0;
            }
        }
        let ours =
            pollster::block_on(mean_difference(&model, &pairs(), hook(), positions, 2, 0)).unwrap();
        let by_hand: Vec<f32> = by_hand.iter().map(|&v| v as f32).collect();
        assert!(
            max_abs_diff(&ours.vector, &by_hand) < 1e-5,
            "{positions}: {:?} vs {:?}",
            &ours.vector[..4],
            &by_hand[..4]
        );
        let info = &ours.info;
        assert_eq!(
            (info.pairs, info.width, info.positions),
            (3, width, positions)
        );
        let norm = by_hand
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(
            (info.norm - norm).abs() < 1e-4 * norm,
            "{} vs {norm}",
            info.norm
        );
        assert!((info.activation_norm - activation_norm).abs() < 1e-4 * activation_norm);
        assert!((info.residual_norm - residual_norm).abs() < 1e-4 * residual_norm);
        // At strength 1 the other prompts' mean moves exactly onto the self prompts' mean.
        assert!((ours.relative_to_activation(1.0) - norm / activation_norm).abs() < 1e-6);
    }
}

#[test]
fn a_vector_needs_last_or_mean_positions_and_an_unsteered_model() {
    let mut model = tiny("llama");
    let err = pollster::block_on(mean_difference(
        &model,
        &pairs(),
        hook(),
        Positions::All,
        2,
        0,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("last or mean"), "{err}");
    let width = model.hidden_size();
    model
        .set_steering(Some(
            Steering::new(hook(), some_vector(width), 1.0).unwrap(),
        ))
        .unwrap();
    let err = pollster::block_on(mean_difference(
        &model,
        &pairs(),
        hook(),
        Positions::Last,
        2,
        0,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("unsteered"), "{err}");
}

fn computed() -> SteeringVector {
    let model = tiny("llama");
    let mut vector = pollster::block_on(mean_difference(
        &model,
        &pairs(),
        hook(),
        Positions::Last,
        8,
        0,
    ))
    .unwrap();
    vector.info.model = Some("tiny-llama".into());
    vector
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("soo-steering-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_files_round_trip() {
    let vector = computed();
    let dir = temp("round-trip");
    write_dir(&dir, &vector).unwrap();
    assert!(dir.join(VECTOR_FILE).is_file() && dir.join(INFO_FILE).is_file());
    assert!(!dir.join(format!("{VECTOR_FILE}.tmp")).exists());
    let mut back = read_dir(&dir).unwrap();
    assert_eq!(back.vector, vector.vector);
    // serde_json reads a float back to within an ulp, not always to the same bits.
    for (read, written) in [
        (&mut back.info.norm, vector.info.norm),
        (&mut back.info.activation_norm, vector.info.activation_norm),
        (&mut back.info.residual_norm, vector.info.residual_norm),
    ] {
        assert!(
            (*read - written).abs() <= 1e-12 * written,
            "{read} vs {written}"
        );
        *read = written;
    }
    assert_eq!(back, vector);
    let shape = *tiny("llama").shape();
    check_fits(&back, &shape, "x").unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `vector`'s files with `edit` applied to the sidecar's JSON, and returns the error of
/// reading them back (or of fitting them to the tiny Llama) as text.
fn error_of(name: &str, vector: &SteeringVector, edit: impl Fn(&mut serde_json::Value)) -> String {
    let dir = temp(name);
    let (weights, info) = encode(vector).unwrap();
    let mut info: serde_json::Value = serde_json::from_slice(&info).unwrap();
    edit(&mut info);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(VECTOR_FILE), weights).unwrap();
    std::fs::write(dir.join(INFO_FILE), serde_json::to_vec(&info).unwrap()).unwrap();
    let shape = *tiny("llama").shape();
    let folder = dir.display().to_string();
    let err = read_dir(&dir)
        .and_then(|v| check_fits(&v, &shape, &folder))
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    err
}

#[test]
fn bad_files_are_one_error_naming_the_file() {
    let good = computed();

    let mut nan = good.clone();
    nan.vector[3] = f32::NAN;
    let err = error_of("nan", &nan, |_| {});
    assert!(
        err.contains(VECTOR_FILE) && err.contains("#3") && err.contains("not finite"),
        "{err}"
    );

    let mut narrow = good.clone();
    narrow.vector.pop();
    narrow.info.width -= 1;
    narrow.info.norm = narrow
        .vector
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt();
    let err = error_of("narrow", &narrow, |_| {});
    assert!(err.contains(INFO_FILE) && err.contains("wide"), "{err}");

    let err = error_of("deep", &good, |info| {
        info["hook"] = "layers.99.self_attn.o_proj".into()
    });
    assert!(
        err.contains(INFO_FILE) && err.contains("layers.99"),
        "{err}"
    );

    let err = error_of("width", &good, |info| info["width"] = 3.into());
    assert!(
        err.contains(VECTOR_FILE) && err.contains("width 3"),
        "{err}"
    );

    let err = error_of("norm", &good, |info| info["norm"] = 1234.5.into());
    assert!(err.contains(VECTOR_FILE) && err.contains("norm"), "{err}");

    let err = error_of("hook", &good, |info| info["hook"] = "layer.1.mlp".into());
    assert!(
        err.contains(INFO_FILE) && err.contains("layers.<N>"),
        "{err}"
    );

    let missing = temp("missing");
    let err = read_dir(&missing).unwrap_err().to_string();
    assert!(err.contains(VECTOR_FILE), "{err}");
}
