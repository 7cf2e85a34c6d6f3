"""The MLflow pyfunc of the risk model, logged as code ("models from code").

MLflow executes this file when it loads the model; ``set_model`` names the object it
serves. The pyfunc takes feature rows (the catalogue's columns) and returns the
calibrated probability per scored category. The API does not use it: it loads the
bundle files that this pyfunc carries as its ``risk_model`` artifact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import mlflow
from models.bundle import RiskModel


class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """Feature rows in, calibrated probabilities out."""

    def load_context(self, context) -> None:
        self.model = RiskModel.load(Path(context.artifacts["risk_model"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.model.probability_table(model_input)


mlflow.models.set_model(RiskModelPyfunc())
