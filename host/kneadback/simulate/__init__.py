"""The simulated tool: scenario files → the samples and bytes a real board would send, with truth.

- `scenario.load_scenario(name_or_path)`, `scenario.list_scenarios()`: `signals/NAME.toml`;
- `render.render(scenario, seed=0) -> Rendering`: `t`, `t_us`, `adc`, `force_n`, `truth`,
  `wire_chunks()`; the stages are `user` (force), `physics` (FSR, divider, ADC), `truth` and
  `wire` (protocol bytes and link faults); with a `[motion]` table, `motion` adds the tool's path
  and its IMU's six channels (`Rendering.tool`, sent in every DATA frame) and each stroke's motion
  to the truth;
- `kneadback.sources.simulated`: `sim[:SCENARIO]` plays a rendering in real time through the
  device decoder.

signals/README.md documents the scenario keys, the model and the truth definitions.
"""
