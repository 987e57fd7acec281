"""Calibration: curated data (``calibration/data``) -> fitted parameters (``fitted_params.json``).

Run ``python -m calibration fit`` after changing the data, and ``python -m calibration backtest``
to see how the model would have forecast the past. The simulator reads the JSON file and never
imports this package.
"""
