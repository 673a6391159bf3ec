//! Module addresses: a [`Site`] inside a decoder layer and a [`ModulePath`]
//! (`layers.18.self_attn.o_proj`), named the way Hugging Face names the modules.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A module inside a decoder layer whose output can be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// `self_attn.q_proj`: `[batch, seq, heads * head_dim]`, before RoPE.
    QProj,
    /// `self_attn.k_proj`: `[batch, seq, kv_heads * head_dim]`, before RoPE.
    KProj,
    /// `self_attn.v_proj`: `[batch, seq, kv_heads * head_dim]`.
    VProj,
    /// `self_attn.o_proj`: `[batch, seq, hidden]`.
    OProj,
    /// `self_attn`: the attention block's output, `[batch, seq, hidden]`. In every supported
    /// family this is `o_proj`'s output (Gemma 2's post-attention norm sits outside the block).
    SelfAttn,
    /// `mlp.gate_proj`: `[batch, seq, intermediate]`, before the activation.
    GateProj,
    /// `mlp.up_proj`: `[batch, seq, intermediate]`.
    UpProj,
    /// `mlp.down_proj`: `[batch, seq, hidden]`.
    DownProj,
    /// `mlp`: the MLP block's output, `[batch, seq, hidden]` (equal to `down_proj`'s).
    Mlp,
    /// `residual`: the layer's output hidden state, `[batch, seq, hidden]`.
    Residual,
}

impl Site {
    /// Every site with its name, in the order error messages list them.
    const ALL: [(Site, &'static str); 10] = [
        (Site::QProj, "self_attn.q_proj"),
        (Site::KProj, "self_attn.k_proj"),
        (Site::VProj, "self_attn.v_proj"),
        (Site::OProj, "self_attn.o_proj"),
        (Site::SelfAttn, "self_attn"),
        (Site::GateProj, "mlp.gate_proj"),
        (Site::UpProj, "mlp.up_proj"),
        (Site::DownProj, "mlp.down_proj"),
        (Site::Mlp, "mlp"),
        (Site::Residual, "residual"),
    ];

    /// The name after `layers.N.`.
    pub fn name(self) -> &'static str {
        Site::ALL
            .iter()
            .find(|(site, _)| *site == self)
            .map(|(_, name)| *name)
            .unwrap_or("?")
    }
}

/// A module address: `layers.<layer>.<site>`. Parse one with `"layers.3.mlp".parse()`; a leading
/// `model.` (as in Hugging Face parameter names) is accepted and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModulePath {
    /// Decoder layer index, from 0.
    pub layer: usize,
    /// Which module of that layer.
    pub site: Site,
}

impl ModulePath {
    /// `layers.<layer>.<site>`.
    pub fn new(layer: usize, site: Site) -> Self {
        ModulePath { layer, site }
    }

    /// Checks that the layer exists in a model with `num_layers` layers.
    pub fn check(&self, num_layers: usize) -> Result<()> {
        if self.layer >= num_layers {
            return Err(Error::Unsupported(format!(
                "module '{self}': the model has {num_layers} layers, numbered 0 to {}",
                num_layers.saturating_sub(1)
            )));
        }
        Ok(())
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layers.{}.{}", self.layer, self.site.name())
    }
}

impl FromStr for ModulePath {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = |why: &str| {
            let sites: Vec<&str> = Site::ALL.iter().map(|(_, name)| *name).collect();
            Error::Unsupported(format!(
                "module '{s}': {why}; write layers.<N>.<module> with <module> one of {}",
                sites.join(", ")
            ))
        };
        let rest = s.strip_prefix("model.").unwrap_or(s);
        let rest = rest
            .strip_prefix("layers.")
            .ok_or_else(|| invalid("it does not start with 'layers.'"))?;
        let (index, site) = rest
            .split_once('.')
            .ok_or_else(|| invalid("no module after the layer number"))?;
        let layer = index
            .parse::<usize>()
            .map_err(|_| invalid(&format!("'{index}' is not a layer number")))?;
        let site = Site::ALL
            .iter()
            .find(|(_, name)| *name == site)
            .map(|(site, _)| *site)
            .ok_or_else(|| invalid(&format!("unknown module '{site}'")))?;
        Ok(ModulePath { layer, site })
    }
}

/// Written as its name (`"layers.18.self_attn.o_proj"`), as config files and the page hold it.
impl serde::Serialize for ModulePath {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from its name; a bad name is an error that says what a name looks like.
impl<'de> serde::Deserialize<'de> for ModulePath {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for name in [
            "layers.18.self_attn.o_proj",
            "layers.0.self_attn",
            "layers.3.mlp.gate_proj",
            "layers.2.mlp",
            "layers.7.residual",
        ] {
            let path: ModulePath = name.parse().unwrap();
            assert_eq!(path.to_string(), name);
        }
        let path: ModulePath = "model.layers.1.self_attn.v_proj".parse().unwrap();
        assert_eq!(path, ModulePath::new(1, Site::VProj));
    }

    #[test]
    fn rejects_with_reasons() {
        for (name, why) in [
            ("layer.1.mlp", "does not start"),
            ("layers.x.mlp", "not a layer number"),
            ("layers.1.mlp.fc1", "unknown module 'mlp.fc1'"),
            ("layers.1", "no module"),
        ] {
            let err = name.parse::<ModulePath>().unwrap_err().to_string();
            assert!(err.contains(why), "{name}: {err}");
        }
        let err = ModulePath::new(4, Site::Mlp).check(4).unwrap_err();
        assert!(err.to_string().contains("0 to 3"), "{err}");
    }
}
