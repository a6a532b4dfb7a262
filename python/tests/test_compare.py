"""The output comparison that convert, verify and quantize rely on."""

from __future__ import annotations

import numpy as np

from inferd.compare import compare_outputs


def test_equal_outputs_pass() -> None:
    y = np.linspace(0, 1, 20).reshape(10, 2)
    result = compare_outputs(
        [("p", y), ("label", np.arange(10))], [y.astype(np.float32), np.arange(10)]
    )
    assert result.passed
    assert result.outputs[0].max_abs < 1e-6
    assert result.outputs[1].agreement == 1.0


def test_a_difference_beyond_tolerance_fails_with_its_rows() -> None:
    y = np.zeros((10, 1))
    got = y.copy()
    got[3] = 0.5
    got[7] = 0.2
    result = compare_outputs([("y", y)], [got], atol=1e-3, rtol=0)
    assert not result.passed
    assert result.outputs[0].worst_rows == [3, 7]
    assert result.outputs[0].max_abs == 0.5
    assert "FAILED" in result.table()


def test_relative_tolerance_scales_with_the_value() -> None:
    y = np.array([[1000.0], [1.0]])
    assert compare_outputs([("y", y)], [y * (1 + 5e-5)], atol=0, rtol=1e-4).passed
    assert not compare_outputs([("y", y)], [y * (1 + 5e-4)], atol=0, rtol=1e-4).passed


def test_label_agreement_and_strings() -> None:
    ref = np.array(["a", "b", "c", "d"])
    got = np.array([b"a", b"b", b"x", b"d"], dtype=object)
    result = compare_outputs([("label", ref)], [got], min_agreement=0.7)
    assert result.passed and result.outputs[0].agreement == 0.75
    assert not compare_outputs([("label", ref)], [got]).passed


def test_shape_mismatch_and_nan_fail() -> None:
    assert not compare_outputs([("y", np.zeros((4, 2)))], [np.zeros((4, 3))]).passed
    with_nan = np.array([[1.0], [np.nan]])
    assert not compare_outputs([("y", np.ones((2, 1)))], [with_nan]).passed
    # the same size in another shape ([N] against [N, 1]) is the same output
    assert compare_outputs([("y", np.ones((3, 1)))], [np.ones(3)]).passed


def test_a_missing_or_extra_output_fails() -> None:
    y = np.zeros((3, 2))
    assert not compare_outputs([("label", np.zeros(3, int)), ("p", y)], [np.zeros(3, int)]).passed
    assert not compare_outputs([("p", y)], [y, y]).passed
    assert not compare_outputs([], []).passed


def test_nan_in_both_agrees_but_cannot_hide_a_difference() -> None:
    ref = np.array([[np.nan, 1.0], [2.0, 3.0]])
    assert compare_outputs([("y", ref)], [ref.copy()]).passed
    got = ref.copy()
    got[0, 1] = 5.0
    result = compare_outputs([("y", ref)], [got])
    assert not result.passed and result.outputs[0].worst_rows == [0]
    one_side = ref.copy()
    one_side[1, 0] = np.nan
    result = compare_outputs([("y", ref)], [one_side])
    assert not result.passed and 1 in result.outputs[0].worst_rows
