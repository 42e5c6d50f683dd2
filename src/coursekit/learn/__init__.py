"""Classical machine learning in NumPy: linear and logistic regression, the lasso, k-nearest neighbours,
k-means and Gaussian mixtures, PCA, trees, bagging and AdaBoost.

Chapter 3.
"""

from coursekit.core.numerics import sigmoid, softmax
from coursekit.learn.clustering import (
    GMMResult,
    KMeansResult,
    gaussian_log_pdf,
    gmm_em,
    kmeans,
    kmeans_plus_plus_init,
    lloyd,
    pairwise_sq_dists,
)
from coursekit.learn.ensembles import (
    AdaBoostResult,
    Stump,
    Tree,
    adaboost_fit,
    adaboost_predict,
    bagging_fit,
    bagging_predict,
    fit_stump,
    fit_tree,
)
from coursekit.learn.linear import (
    LinearClassifier,
    ce_vs_mse,
    fit_logistic_regression,
    fit_softmax_regression,
    logistic_loss_grad,
    normal_equations,
    softmax_cross_entropy,
)
from coursekit.learn.neighbors import knn_predict
from coursekit.learn.pca import (
    PCAResult,
    pca_eig,
    pca_reconstruct,
    pca_svd,
    pca_transform,
)
from coursekit.learn.sparse import lasso_ista, soft_threshold

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
    "knn_predict",
    "PCAResult",
    "pca_eig",
    "pca_svd",
    "pca_transform",
    "pca_reconstruct",
    "soft_threshold",
    "lasso_ista",
]
