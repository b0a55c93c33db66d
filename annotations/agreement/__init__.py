"""Agreement between annotators: span F1, token-level κ and α, unitizing α_U, disagreements.

`agreement_report(records, match)` computes everything `relecture agree` shows; the pieces
(`load`, `spans`, `tokens`, `coefficients`, `unitizing`) can be used on their own. Only numpy and
`annotations` are needed (no Textual).
"""

from annotations.agreement.load import AgreementError, build_corpus, records_from_files
from annotations.agreement.report import AgreementReport, agreement_report, pair_key

__all__ = [
    "AgreementError",
    "AgreementReport",
    "agreement_report",
    "build_corpus",
    "pair_key",
    "records_from_files",
]
