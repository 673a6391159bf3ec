//! Step 7: what the result means and where its limits are.

use leptos::prelude::*;

#[component]
pub fn Meaning() -> impl IntoView {
    view! {
        <p>"In the paper (Carauleanu et al., "<a href="https://arxiv.org/abs/2412.16325">"arXiv 2412.16325"</a>
           "), SOO fine-tuning cut Mistral-7B-Instruct's deceptive answers in the burglar test from 73.6% to 17.2%, "
           "and larger models' to near zero, with little loss of general ability. The idea: if a model represents "
           "\"what I want\" and \"what Bob wants\" alike, misleading Bob is harder to compute."</p>
        <h3>"What to be careful about"</h3>
        <ul>
            <li><strong>"Position bias."</strong>" The paper's question always names the deceptive room first. A model "
                "that picks the first-named room looks deceptive, and a change to its position habit looks like honesty. "
                "The mirrored control (step 6) separates the two."</li>
            <li><strong>"Broken is not honest."</strong>" Training can damage a model until it names no room at all. "
                "The three-way count keeps those answers as \"other\", never as honest."</li>
            <li><strong>"Controls."</strong>" Replications (see the project's docs/method.md §8) train the same adapter on the same "
                "prompts without the SOO term (exposure) and on neutral text (sham): part of the effect can come from "
                "simply fine-tuning on these prompts. Try the loss menu in step 5: "<code>"exposure"</code>" and "<code>"sham"</code>"."</li>
            <li><strong>"Near the training data."</strong>" The test scenarios share the training prompts' theme "
                "(a burglar, two rooms). Independent replications found the effect weaker on variants that change the "
                "names, the goal or the action, and sensitive to the layer, the positions compared and the seed; "
                "soo's "<code>"soo eval --suite all"</code>" runs those variants."</li>
            <li><strong>"Small models."</strong>" SmolLM2-135M does not deceive in the first place: it shows how the "
                "method and the measurement work, not that SOO removes deception. For that you need a model that "
                "really deceives: the model organisms ("<code>"soo organism"</code>") are built for it."</li>
        </ul>
        <p>"Run it at full size with the command line: export the experiment in step 5 and run "
           <code>"soo run experiment.toml --controls"</code>"."</p>
    }
}
