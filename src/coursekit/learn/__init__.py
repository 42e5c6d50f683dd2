"""Classical machine learning in NumPy, for Chapter 3.

Linear and logistic regression, the lasso, k-nearest neighbours, k-means and Gaussian mixtures, PCA,
trees, bagging and AdaBoost.
"""

from coursekit.learn.clustering import (
    pairwise_sq_dists,
    kmeans_plus_plus_init,
    KMeansResult,
    lloyd,
    kmeans,
    gaussian_log_pdf,
    GMMResult,
    gmm_em,
)
from coursekit.learn.ensembles import (
    Stump,
    fit_stump,
    Tree,
    fit_tree,
    bagging_fit,
    bagging_predict,
    AdaBoostResult,
    adaboost_fit,
    adaboost_predict,
)
from coursekit.learn.linear import (
    normal_equations,
    sigmoid,
    logistic_loss_grad,
    ce_vs_mse,
    LinearClassifier,
    fit_logistic_regression,
    softmax,
    softmax_cross_entropy,
    fit_softmax_regression,
)
from coursekit.learn.model_selection import (
    train_val_test_split,
    kfold_indices,
    stratified_kfold_indices,
    cross_validate,
    learning_curve,
)
from coursekit.learn.neighbors import knn_predict
from coursekit.learn.pca import PCAResult, pca_eig, pca_svd, pca_transform, pca_reconstruct
from coursekit.learn.sparse import soft_threshold, lasso_ista

__all__ = [
    "pairwise_sq_dists",
    "kmeans_plus_plus_init",
    "KMeansResult",
    "lloyd",
    "kmeans",
    "gaussian_log_pdf",
    "GMMResult",
    "gmm_em",
    "Stump",
    "fit_stump",
    "Tree",
    "fit_tree",
    "bagging_fit",
    "bagging_predict",
    "AdaBoostResult",
    "adaboost_fit",
    "adaboost_predict",
    "normal_equations",
    "sigmoid",
    "logistic_loss_grad",
    "ce_vs_mse",
    "LinearClassifier",
    "fit_logistic_regression",
    "softmax",
    "softmax_cross_entropy",
    "fit_softmax_regression",
    "train_val_test_split",
    "kfold_indices",
    "stratified_kfold_indices",
    "cross_validate",
    "learning_curve",
    "knn_predict",
    "PCAResult",
    "pca_eig",
    "pca_svd",
    "pca_transform",
    "pca_reconstruct",
    "soft_threshold",
    "lasso_ista",
]
