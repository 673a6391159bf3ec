//! Several peft adapters as one: what applying them together does, in a single adapter folder.
//!
//! LoRA branches add: `W + s₁·B₁A₁ + s₂·B₂A₂ = W + [s₁B₁ s₂B₂]·[A₁; A₂]`. So adapters of ranks
//! `r₁, r₂, …` stack exactly into one of rank `Σ rᵢ`, with each `B` scaled by its own `alpha / r`
//! and the stack's scaling set to 1 (`lora_alpha = r`). A branch one adapter lacks is a block of
//! zeros. Training a second adapter on a model with the first merged in (`soo train --adapter`)
//! and stacking the two gives one adapter that every tool reads: soo, the browser and Python peft.

use std::collections::{BTreeMap, BTreeSet};

use super::TARGETS;
use super::peft::{CONFIG_FILE, WEIGHTS_FILE};
use super::peft::{HostBranch, PeftFiles, config_bytes, host_branches, key, read_config};
use crate::load::HostTensor;
use crate::load::safetensors::{StoreAs, write};
use crate::model::Site;
use crate::{Error, Result};

/// One adapter's branch of a site, and where it goes in the stack.
struct Block<'a> {
    /// The first of its rows of the stacked `A` (columns of `B`).
    offset: usize,
    rank: usize,
    /// Its adapter's `alpha / r`, folded into `B`.
    scaling: f32,
    branch: &'a HostBranch,
    /// Its adapter's folder, for errors.
    folder: &'a str,
}

/// Stacks `adapters` (files and the folder that names them in errors), in order, into one
/// adapter that applies all of them. The config (dropout, base model) is the first one's, with
/// `r` and `lora_alpha` the total rank, and targets and layers those the branches sit on.
pub fn stack(adapters: &[(&PeftFiles, &str)]) -> Result<PeftFiles> {
    if adapters.is_empty() {
        return Err(Error::Unsupported("no adapters to stack".into()));
    }
    let mut configs = Vec::new();
    let mut hosts = Vec::new();
    for (files, folder) in adapters {
        configs.push(read_config(
            &files.config,
            &format!("{folder}/{CONFIG_FILE}"),
        )?);
        hosts.push((host_branches(files, folder)?, *folder));
    }
    let every_layer = configs.iter().any(|c| c.layers_to_transform.is_none());
    let mut config = configs.swap_remove(0);

    // Every site any adapter has, with the blocks that fill its rank range.
    let rank: usize = hosts.iter().map(|(host, _)| host.rank).sum();
    let mut sites: BTreeMap<(usize, Site), Vec<Block>> = BTreeMap::new();
    let mut offset = 0;
    for (host, folder) in &hosts {
        for branch in &host.branches {
            sites
                .entry((branch.layer, branch.site))
                .or_default()
                .push(Block {
                    offset,
                    rank: host.rank,
                    scaling: host.scaling() as f32,
                    branch,
                    folder,
                });
        }
        offset += host.rank;
    }

    let mut tensors = Vec::new();
    for (&(layer, site), blocks) in &sites {
        let (d_in, d_out) = dims(blocks, layer, site)?;
        let mut a = vec![0.0f32; rank * d_in]; // [rank, d_in]
        let mut b = vec![0.0f32; d_out * rank]; // [d_out, rank]
        for block in blocks {
            let (offset, r) = (block.offset, block.rank);
            a[offset * d_in..(offset + r) * d_in].copy_from_slice(&block.branch.a.data);
            for o in 0..d_out {
                for j in 0..r {
                    b[o * rank + offset + j] = block.scaling * block.branch.b.data[o * r + j];
                }
            }
        }
        let tensor = |shape: [usize; 2], data| HostTensor {
            shape: shape.to_vec(),
            data,
        };
        tensors.push((key(layer, site, "A"), tensor([rank, d_in], a)));
        tensors.push((key(layer, site, "B"), tensor([d_out, rank], b)));
    }

    let on: BTreeSet<Site> = sites.keys().map(|&(_, site)| site).collect();
    config.r = rank;
    config.lora_alpha = rank as f64;
    config.target_modules = serde_json::json!(
        TARGETS
            .iter()
            .filter(|(site, _)| on.contains(site))
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
    );
    let layers: BTreeSet<usize> = sites.keys().map(|&(layer, _)| layer).collect();
    config.layers_to_transform = (!every_layer).then(|| serde_json::json!(layers));
    Ok(PeftFiles {
        config: config_bytes(&config)?,
        weights: write(&tensors, StoreAs::F32, &[("format", "pt")])?,
    })
}

/// `(d_in, d_out)` of a site: every adapter's `A` must be `[r, d_in]` and `B` `[d_out, r]`
/// with its own rank and the same `d_in`, `d_out`.
fn dims(blocks: &[Block], layer: usize, site: Site) -> Result<(usize, usize)> {
    let first = blocks[0].branch;
    let want = (
        first.a.shape.last().copied().unwrap_or(0),
        first.b.shape.first().copied().unwrap_or(0),
    );
    for block in blocks {
        let (a, b, r) = (&block.branch.a.shape, &block.branch.b.shape, block.rank);
        if a[..] != [r, want.0] || b[..] != [want.1, r] {
            return Err(Error::Format {
                file: format!("{}/{WEIGHTS_FILE}", block.folder),
                problem: format!(
                    "the {} branch is {b:?}·{a:?} where rank {r} on [{}, {}] was expected \
                     (adapters of different models?)",
                    key(layer, site, "A").trim_end_matches(".lora_A.weight"),
                    want.1,
                    want.0
                ),
            });
        }
    }
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::SplitMix64;

    /// A peft adapter with random branches on `sites`, `d_in = 5`, `d_out = 3`.
    fn adapter(rank: usize, alpha: f64, sites: &[(usize, Site)], seed: u64) -> PeftFiles {
        let mut rng = SplitMix64::new(seed);
        let mut random = |n: usize| rng.uniform_vec(n, 0.5);
        let mut tensors = Vec::new();
        for &(layer, site) in sites {
            let a = HostTensor {
                shape: vec![rank, 5],
                data: random(rank * 5),
            };
            let b = HostTensor {
                shape: vec![3, rank],
                data: random(3 * rank),
            };
            tensors.push((key(layer, site, "A"), a));
            tensors.push((key(layer, site, "B"), b));
        }
        let config = serde_json::json!({
            "peft_type": "LORA", "r": rank, "lora_alpha": alpha, "lora_dropout": 0.05,
            "target_modules": ["q_proj", "o_proj"], "layers_to_transform": null,
        });
        PeftFiles {
            config: serde_json::to_vec(&config).unwrap(),
            weights: write(&tensors, StoreAs::F32, &[]).unwrap(),
        }
    }

    /// `scaling · B·A` (`[3, 5]`) of each site of an adapter.
    fn deltas(files: &PeftFiles) -> BTreeMap<(usize, Site), Vec<f32>> {
        let host = host_branches(files, "a").unwrap();
        let (r, s) = (host.rank, host.scaling() as f32);
        let mut out = BTreeMap::new();
        for branch in &host.branches {
            let mut w = vec![0.0f32; 15];
            for o in 0..3 {
                for i in 0..5 {
                    w[o * 5 + i] = (0..r)
                        .map(|j| s * branch.b.data[o * r + j] * branch.a.data[j * 5 + i])
                        .sum();
                }
            }
            out.insert((branch.layer, branch.site), w);
        }
        out
    }

    #[test]
    fn a_stack_applies_the_sum_of_its_adapters() {
        let first = adapter(2, 4.0, &[(0, Site::QProj), (1, Site::QProj)], 1);
        let second = adapter(3, 1.5, &[(1, Site::QProj), (1, Site::OProj)], 2);
        let stacked = stack(&[(&first, "first"), (&second, "second")]).unwrap();
        let config: serde_json::Value = serde_json::from_slice(&stacked.config).unwrap();
        assert_eq!(
            (config["r"].as_u64(), config["lora_alpha"].as_f64()),
            (Some(5), Some(5.0))
        );
        assert_eq!(
            config["target_modules"],
            serde_json::json!(["q_proj", "o_proj"])
        );
        assert_eq!(config["lora_dropout"], 0.05);

        let mut want = deltas(&first);
        for (site, delta) in deltas(&second) {
            let sum = want.entry(site).or_insert_with(|| vec![0.0; 15]);
            sum.iter_mut().zip(&delta).for_each(|(w, d)| *w += d);
        }
        let got = deltas(&stacked);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (site, delta) in &want {
            for (x, y) in delta.iter().zip(&got[site]) {
                assert!((x - y).abs() < 1e-6, "{site:?}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn adapters_of_different_models_do_not_stack() {
        let first = adapter(2, 4.0, &[(0, Site::QProj)], 1);
        let mut other = adapter(2, 4.0, &[], 2);
        let wide = HostTensor {
            shape: vec![2, 7],
            data: vec![0.1; 14],
        };
        let b = HostTensor {
            shape: vec![3, 2],
            data: vec![0.1; 6],
        };
        other.weights = write(
            &[
                (key(0, Site::QProj, "A"), wide),
                (key(0, Site::QProj, "B"), b),
            ],
            StoreAs::F32,
            &[],
        )
        .unwrap();
        let error = stack(&[(&first, "first"), (&other, "second")]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("second/adapter_model.safetensors"),
            "{error}"
        );
    }
}
