"""The shared core of coursekit: input validation and the numerics every chapter uses.

``coursekit.core.validation`` turns bad input into a ``ValueError`` a student can act on;
``coursekit.core.numerics`` holds the one stable sigmoid, softmax, log-softmax, logsumexp and one-hot.
Lesson packages import from here; nothing here imports a lesson package.
"""

from coursekit.core.numerics import log_softmax, logsumexp, one_hot, sigmoid, softmax

__all__ = ["sigmoid", "softmax", "log_softmax", "logsumexp", "one_hot"]
