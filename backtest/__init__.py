"""The selection-loop backtest (issue 14): disposal policies compared week by week on the
generator's world, where only the items a policy inspects reveal their outcome.

- ``world``: the generated sources, their truth kept apart, the warm-up and the weeks.
- ``policies``: who is inspected under the week's capacity (random, top score, top score
  with a random share, the platform's default disposal policy).
- ``metrics``: hit rate, recall, revenue against an oracle, the error of the estimated
  violation rate, AUC-PR on all items: the only place the truth is scored.
- ``engine``: the weekly loop (score → dispose → select → reveal → retrain).
- ``plots``: a figure per metric over the weeks (matplotlib loads only there).
"""
