"""The checks of the graded exercises, one module per chapter topic.

A module ``chNN_<topic>.py`` lists its :class:`coursekit.grading.Check` objects — cases, reference and
judgement of one exercise each — in ``CHECKS``; :func:`coursekit.grading.find_check` finds the check of an
exercise id ``"chNN.<name>"`` there. CONTRIBUTING.md shows how to write one.
"""
