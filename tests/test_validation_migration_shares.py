"""MigrationMatrix.direction_shares: shares unchanged / downgraded / upgraded, by hand."""

import numpy as np
import pytest

import riskkit as rk


def test_direction_shares_by_hand():
    # grades best first: A, B, C; rows = start, columns = end
    counts = np.array([[5, 2, 1],
                       [1, 6, 2],
                       [0, 3, 4]])
    matrix = rk.validation.MigrationMatrix(grades=("A", "B", "C"), values=counts)
    shares = matrix.direction_shares()
    # N = 24; diagonal 5 + 6 + 4 = 15; above it (worse grade) 2 + 1 + 2 = 5; below it 1 + 0 + 3 = 4
    assert matrix.n_obligors == 24
    assert shares.to_dict() == pytest.approx({"unchanged": 15 / 24, "downgraded": 5 / 24, "upgraded": 4 / 24})
    assert shares.sum() == pytest.approx(1.0)


def test_direction_shares_from_grade_vectors():
    start = ["A", "A", "B", "C", "B"]
    end = ["A", "C", "A", "C", "B"]  # unchanged 3, down A->C 1, up B->A 1
    shares = rk.validation.migration_matrix(start, end, grades=["A", "B", "C"]).direction_shares()
    assert shares.tolist() == pytest.approx([0.6, 0.2, 0.2])


def test_direction_shares_of_an_empty_matrix_are_missing():
    matrix = rk.validation.MigrationMatrix(grades=("A", "B"), values=np.zeros((2, 2), dtype=int))
    assert matrix.n_obligors == 0
    assert matrix.direction_shares().isna().all()
