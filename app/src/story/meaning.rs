//! Step 7: what the result means and where its limits are: the paper, both public
//! replications and the project's own grids, in the project's words. Every document linked is
//! the paper, a replication's repository, or a file of this project (`docs/`).

use leptos::prelude::*;

/// Where the project's own documents are published (the repository's `docs/`).
const DOCS: &str = "https://github.com/soo-project/soo/blob/main/docs";

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
            <li data-testid="meaning-exposure"><strong>"Controls."</strong>" A public replication ("
                <a href="https://github.com/marcobaumann/paper-soo-overlap">"marcobaumann/paper-soo-overlap"</a>
                ") trained the same adapter on the same prompts without the SOO term (exposure): that alone took "
                "Mistral from 92.6% to 17.6% deceptive, so most of the drop came from seeing the prompts; SOO took it "
                "to 1.6%. A sham run on neutral text is the other control. Try the loss menu in step 5: "
                <code>"exposure"</code>" and "<code>"sham"</code>"."</li>
            <li data-testid="meaning-position"><strong>"Near the training data."</strong>" The test scenarios share the "
                "training prompts' theme (a burglar, two rooms). The replication of "
                <a href="https://github.com/DRAGNLabs/self-concept-experiments">"DRAGNLabs/self-concept-experiments"</a>
                " found the effect confounded with the rooms' order and present only in a narrow band of layers; "
                "both replications found it weaker on variants that change the names, the goal or the action. "
                <code>"soo eval --suite all"</code>" runs those variants, and "<code>"--suite family:test"</code>
                " ten new settings (a mine, a hotel, a farm…) that nothing is trained on."</li>
            <li><strong>"Small models."</strong>" SmolLM2-135M does not deceive in the first place: it shows how the "
                "method and the measurement work, not that SOO removes deception. For that you need a model that "
                "really deceives: the model organisms ("<code>"soo organism"</code>") are built for it."</li>
        </ul>
        <p data-testid="meaning-own">"The project's own grids, with seeds, intervals and both controls, are in "
           <a href={format!("{DOCS}/soo-results.md")}>"docs/soo-results.md"</a>
           "; the method and what the paper leaves open in "<a href={format!("{DOCS}/method.md")}>"docs/method.md"</a>
           ". Run it at full size with the command line: export the experiment in step 5 and run "
           <code>"soo run experiment.toml --controls"</code>"."</p>
    }
}
