"""P1: the seeds' FastAPI + joblib scikit-learn service (seeds/000, section 1.1).

Run: BENCH_SKLEARN_MODEL=path/model.joblib uvicorn sklearn_service:app --workers N

`/predict` is the seeds' code unchanged: one row in, the prediction and the
largest class probability out, the model called inside an `async def` on the
event loop. Two additions, both what such a service would grow:
  POST /predict/rows  {"features": [[...], ...]} -> every row's label and
                      probabilities, for the 1,000-row batches of W2
  GET  /health        200 once the model is loaded (start-to-ready timing)
"""
import os

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()

# 加载模型 (load the model), as the seeds do, but from the path the benchmark gives.
model = joblib.load(os.environ["BENCH_SKLEARN_MODEL"])


class PredictionRequest(BaseModel):
    features: list[float]


class PredictionResponse(BaseModel):
    prediction: float
    probability: float


@app.post("/predict", response_model=PredictionResponse)
async def predict(request: PredictionRequest):
    features = np.array(request.features).reshape(1, -1)
    prediction = model.predict(features)[0]
    probability = model.predict_proba(features)[0].max()

    return PredictionResponse(prediction=float(prediction), probability=float(probability))


class RowsRequest(BaseModel):
    features: list[list[float]]


@app.post("/predict/rows")
async def predict_rows(request: RowsRequest):
    features = np.array(request.features)
    return {
        "predictions": model.predict(features).tolist(),
        "probabilities": model.predict_proba(features).tolist(),
    }


@app.get("/health")
async def health():
    return {"status": "ok"}
