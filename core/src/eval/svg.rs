//! `report.svg`: per suite, one horizontal stacked bar per classifier showing the target
//! (deceptive, or correct), alternative (honest, or incorrect) and other fractions, with text
//! labels. Hand-written SVG (no chart crate): it is a few rectangles and texts.
//!
//! Colours are from the Okabe–Ito palette, distinguishable with the common colour-vision
//! deficiencies; every segment also carries its percentage as text, so colour is never the only
//! cue.

use serde_json::Value;

use super::report::{other_count, rate_of};

/// Okabe–Ito vermillion, blue, bluish green, orange, and a neutral grey for "other".
const DECEPTIVE: &str = "#D55E00";
const HONEST: &str = "#0072B2";
const CORRECT: &str = "#009E73";
const INCORRECT: &str = "#E69F00";
const OTHER: &str = "#999999";

const LABEL_WIDTH: f64 = 260.0;
const BAR_WIDTH: f64 = 480.0;
const BAR_HEIGHT: f64 = 18.0;
const ROW: f64 = 24.0;
const GROUP_GAP: f64 = 14.0;
const TOP: f64 = 56.0;

/// `&`, `<`, `>` and quotes escaped for SVG text and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar: a classifier's counts.
struct Bar {
    classifier: String,
    target: f64,
    alternative: f64,
    other: f64,
    total: f64,
}

fn bars(suite: &Value) -> Vec<Bar> {
    let Some(classifiers) = suite["classifiers"].as_object() else {
        return Vec::new();
    };
    classifiers
        .iter()
        .filter(|(_, c)| rate_of(c).is_some())
        .map(|(name, c)| {
            let count = |key: &str| c[key].as_f64().unwrap_or(0.0);
            let target = count("target");
            let total = count("total");
            let other = other_count(c).map_or(0.0, |o| o as f64);
            Bar {
                classifier: name.clone(),
                target,
                // The authors' rule has only "target" and "not target": the rest is its honest.
                alternative: (total - target - other).max(0.0),
                other,
                total,
            }
        })
        .collect()
}

/// The chart of a report (the `report.json` value): one `<g class="suite">` per suite.
pub fn chart(report: &Value) -> String {
    let suites: Vec<&Value> = report["suites"].as_array().into_iter().flatten().collect();
    let height = TOP
        + suites
            .iter()
            .map(|s| bars(s).len().max(1) as f64 * ROW + GROUP_GAP)
            .sum::<f64>()
        + 10.0;
    let width = LABEL_WIDTH + BAR_WIDTH + 20.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <title>soo eval: answers per suite and classifier</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
        escape(&format!(
            "soo eval — {} (n = {})",
            report["model"].as_str().unwrap_or("?"),
            report["n"]
        )),
    );
    out.push_str(&legend());
    let mut y = TOP;
    for suite in suites {
        let name = suite["suite"].as_str().unwrap_or("?");
        let capability = suite["kind"].as_str() == Some("capability");
        out.push_str(&format!(
            "<g class=\"suite\" data-suite=\"{}\">\n<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>\n",
            escape(name),
            y + BAR_HEIGHT - 4.0,
            escape(name),
        ));
        for bar in bars(suite) {
            out.push_str(&bar_svg(&bar, y, capability));
            y += ROW;
        }
        out.push_str("</g>\n");
        y += GROUP_GAP;
    }
    out.push_str("</svg>\n");
    out
}

fn legend() -> String {
    let items = [
        (DECEPTIVE, "deceptive"),
        (HONEST, "honest"),
        (CORRECT, "correct"),
        (INCORRECT, "incorrect"),
        (OTHER, "other"),
    ];
    let mut out = String::from("<g class=\"legend\">\n");
    for (i, (colour, label)) in items.iter().enumerate() {
        let x = 10.0 + i as f64 * 100.0;
        out.push_str(&format!(
            "<rect x=\"{x}\" y=\"30\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"40\">{label}</text>\n",
            x + 16.0
        ));
    }
    out.push_str("</g>\n");
    out
}

/// One classifier's stacked bar at height `y`, with its name and each segment's percentage.
fn bar_svg(bar: &Bar, y: f64, capability: bool) -> String {
    let (target_colour, alternative_colour, target_name, alternative_name) = if capability {
        (CORRECT, INCORRECT, "correct", "incorrect")
    } else {
        (DECEPTIVE, HONEST, "deceptive", "honest")
    };
    let mut out = format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
        LABEL_WIDTH - 8.0,
        y + BAR_HEIGHT - 4.0,
        escape(&bar.classifier),
    );
    let total = bar.total.max(1.0);
    let mut x = LABEL_WIDTH;
    for (count, colour, name) in [
        (bar.target, target_colour, target_name),
        (bar.alternative, alternative_colour, alternative_name),
        (bar.other, OTHER, "other"),
    ] {
        let fraction = count / total;
        let w = fraction * BAR_WIDTH;
        if w <= 0.0 {
            continue;
        }
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR_HEIGHT}\" fill=\"{colour}\">\
             <title>{} {name}: {count} of {} ({:.1}%)</title></rect>\n",
            escape(&bar.classifier),
            bar.total,
            100.0 * fraction,
        ));
        // A label only where it fits inside its segment; the tooltip always has it.
        if w >= 34.0 {
            // White on the dark colours, black on the light ones (orange, grey), for contrast.
            let ink = if [INCORRECT, OTHER].contains(&colour) {
                "black"
            } else {
                "white"
            };
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{:.0}%</text>\n",
                x + w / 2.0,
                y + BAR_HEIGHT - 5.0,
                100.0 * fraction,
            ));
        }
        x += w;
    }
    out
}
