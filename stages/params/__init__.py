"""The params rules, one module per section of params.yaml: each holds its keys' defaults,
what they accept and a comment, and the checks of combinations inside the section. A stage
imports the modules of the sections it reads, so editing one section's rules re-runs only
the stages that read that section. ``python -m stages.params`` writes params.yaml from the
defaults and a preset, or checks the whole file."""
