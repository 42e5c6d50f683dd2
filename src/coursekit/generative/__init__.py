"""Diffusion models (Chapter 17).

Noise schedules, the forward process and its closed form, DDPM and DDIM samplers, classifier and
classifier-free guidance, the training loss, latent-diffusion arithmetic and the textual-inversion and
ControlNet ideas on toy denoisers.
"""

from coursekit.generative.latent import latent_shape, compression_ratio
from coursekit.generative.schedules import linear_betas, cosine_betas, alpha_bars, signal_to_noise
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "forward_step": "forward",
    "q_sample": "forward",
    "iterate_forward": "forward",
    "posterior_mean_variance": "forward",
    "predict_x0": "forward",
    "drop_labels": "guidance",
    "cfg_eps": "guidance",
    "cfg_model": "guidance",
    "classifier_grad": "guidance",
    "classifier_guided_eps": "guidance",
    "classifier_guided_model": "guidance",
    "ConceptEmbedding": "personalise",
    "textual_inversion": "personalise",
    "train_controlnet": "personalise",
    "ddpm_step": "samplers",
    "ddpm_sample": "samplers",
    "ddim_timesteps": "samplers",
    "ddim_step": "samplers",
    "ddim_sample": "samplers",
    "child_generator": "training",
    "diffusion_loss": "training",
    "DiffusionTrainConfig": "training",
    "train_denoiser": "training",
    "train_noisy_classifier": "training",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "latent_shape",
    "compression_ratio",
    "linear_betas",
    "cosine_betas",
    "alpha_bars",
    "signal_to_noise",
    "forward_step",
    "q_sample",
    "iterate_forward",
    "posterior_mean_variance",
    "predict_x0",
    "drop_labels",
    "cfg_eps",
    "cfg_model",
    "classifier_grad",
    "classifier_guided_eps",
    "classifier_guided_model",
    "ConceptEmbedding",
    "textual_inversion",
    "train_controlnet",
    "ddpm_step",
    "ddpm_sample",
    "ddim_timesteps",
    "ddim_step",
    "ddim_sample",
    "child_generator",
    "diffusion_loss",
    "DiffusionTrainConfig",
    "train_denoiser",
    "train_noisy_classifier",
]
