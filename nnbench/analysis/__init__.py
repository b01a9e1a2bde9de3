"""Statistics and verdicts over the aggregated tables (``results/<study>/runs.csv``,
``curves.csv``, ``minibatch_spread.csv``): functions take DataFrames and return tidy
DataFrames; nothing here reads run folders or plots.

- :mod:`.stats`: confidence level, Student-t and bootstrap intervals, level canonical form.
- :mod:`.anova`: factorial ANOVA (Type II) with partial eta squared and its interval.
- :mod:`.paired`: seed-matched paired differences between a factor's levels.
- :mod:`.convergence`: rank correlation of settings between two budgets.
- :mod:`.findings`: the lecture's claims, their estimates and the verdict rule.
- :mod:`.time_to_target`: iterations and seconds to a validation-accuracy target.

docs/FINDINGS.md describes every number these produce.
"""
