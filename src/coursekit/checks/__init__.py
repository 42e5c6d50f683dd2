"""Check functions of the graded exercises, one module per chapter topic.

A module ``chNN_<topic>.py`` defines ``check_<name>(student, rng)`` for the
exercise id ``"chNN.<name>"``; :func:`coursekit.grading.find_check` finds it.
"""
