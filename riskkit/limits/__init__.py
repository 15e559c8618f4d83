"""Credit limits, exposure (风险敞口) and loss.

For now: :func:`exposure` (EAD = open AR + open orders, limit utilisation) and
:func:`expected_loss` (EL = PD x LGD x EAD).
"""

from .exposure import expected_loss, exposure
from .capital import (ASSET_CLASSES, capital_requirement, irb_capital, irb_correlation,
                      irb_risk_weight)
from .concentration import (ConcentrationResult, GranularityAdjustmentResult, concentration,
                            granularity_adjustment)
from .creditrisk_plus import CreditRiskPlusResult, creditrisk_plus
from .portfolio_loss import LossInputError, PortfolioLossResult, portfolio_loss, vasicek_quantile

__all__ = ["exposure", "expected_loss",
           "LossInputError", "PortfolioLossResult", "portfolio_loss", "vasicek_quantile",
           "CreditRiskPlusResult", "creditrisk_plus",
           "ASSET_CLASSES", "irb_correlation", "irb_capital", "irb_risk_weight", "capital_requirement",
           "ConcentrationResult", "concentration", "GranularityAdjustmentResult",
           "granularity_adjustment"]
