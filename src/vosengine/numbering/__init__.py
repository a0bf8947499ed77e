"""Numbers: number sections, dial patterns, rewrite rules and the one normalisation.

* :class:`NumberSection` -- the allowed and blocked prefixes of an account (VOS3000 §2.4.6);
* :class:`DialPattern` -- a gateway's wildcard pattern (``*``, ``?``, length bounds);
* :class:`RewriteRule` and :func:`rewrite` -- strip, add or replace a number's start;
* :func:`normalize_number` -- what a user types (``+44 20 7946-0958``) as the digits every
  table matches, refusing anything it cannot read; :func:`normalize_numbers` for a batch.
  Rating, number sections and routing each normalise the numbers they are given, so a number
  typed another way meets the same entries, and one they cannot read is an error, never
  passed by default.
"""

from ._normalize import SEPARATORS, normalize_number, normalize_numbers
from ._patterns import DialPattern, RewriteRule, rewrite
from ._sections import AllSections, NumberSection, SectionVerdict, validate_prefix

__all__ = [
    "SEPARATORS",
    "AllSections",
    "DialPattern",
    "NumberSection",
    "RewriteRule",
    "SectionVerdict",
    "normalize_number",
    "normalize_numbers",
    "rewrite",
    "validate_prefix",
]
