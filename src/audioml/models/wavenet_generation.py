"""Fast WaveNet generation: one new sample per step from per-layer queues of past activations (chapter 11).

- :func:`generator_receptive_field`: the samples one output of a
  :func:`~audioml.models.wavenet.build_generator` model sees.
- :class:`FastGenerator`: sample-by-sample generation in a ``tf.function`` that keeps,
  per layer, a queue of the past activations it needs ("Fast WaveNet"), so one new
  sample costs one column of the network instead of the whole receptive field.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from audioml.models.wavenet import GatedResidualBlock, _check_positive, mu_law_encode, receptive_field


def generator_receptive_field(model: keras.Model) -> int:
    """Receptive field in samples of a model from :func:`~audioml.models.wavenet.build_generator`."""
    blocks = [layer for layer in model.layers if isinstance(layer, GatedResidualBlock)]
    return receptive_field(
        blocks[0].kernel_size, [b.dilation for b in blocks], model.get_layer("input_conv").kernel_size[0]
    )


class FastGenerator:
    """Sample-by-sample inference for a :func:`~audioml.models.wavenet.build_generator` model, with
    per-layer activation queues.

    Every causal conv of kernel ``k`` and dilation ``d`` needs its input at ``t, t - d, ...,
    t - (k - 1) d``: a queue of the last ``(k - 1) d + 1`` input vectors holds exactly
    those (zeros at the start, as the model's causal padding). One step pushes the new
    vector, reads the taps ``queue[:, ::d]`` and computes one column of the network.
    The arithmetic is that of the full model, so :meth:`logits` equals ``model(codes)``.
    """

    def __init__(self, model: keras.Model) -> None:
        names = {layer.name for layer in model.layers}
        if not {"embedding", "input_conv", "post", "logits"} <= names:
            raise ValueError(
                f"FastGenerator needs a model made by build_generator (layers embedding, input_conv, "
                f"post, logits); {model.name!r} has {sorted(names)}"
            )
        self.embedding = model.get_layer("embedding").embeddings
        conv = model.get_layer("input_conv")
        self.input_conv = (conv.kernel, conv.bias, 1)
        self.blocks = [
            (
                b.dilated.kernel,
                b.dilated.bias,
                b.dilation,
                b.residual.kernel if b.residual is not None else None,
                b.residual.bias if b.residual is not None else None,
                b.skip.kernel,
                b.skip.bias,
                b.filters,
            )
            for b in model.layers
            if isinstance(b, GatedResidualBlock)
        ]
        self.post = (model.get_layer("post").kernel, model.get_layer("post").bias)
        self.out = (model.get_layer("logits").kernel, model.get_layer("logits").bias)
        self._generate = tf.function(self._generate_graph)
        self._teacher_forced = tf.function(self._teacher_forced_graph)

    def initial_queues(self, batch: int) -> list[tf.Tensor]:
        """Zero queues, one per causal conv: ``(batch, (k - 1) * d + 1, channels)``."""
        convs = [self.input_conv[:3]] + [block[:3] for block in self.blocks]
        return [tf.zeros((batch, (kernel.shape[0] - 1) * rate + 1, kernel.shape[1])) for kernel, _, rate in convs]

    @staticmethod
    def _causal_step(queue, vector, kernel, bias, rate):
        queue = tf.concat([queue[:, 1:], vector[:, None, :]], axis=1)
        taps = queue[:, ::rate]  # oldest first, as the conv kernel's first tap
        return queue, tf.einsum("bkc,kco->bo", taps, kernel) + bias

    def step(self, codes, queues):
        """One time step: codes ``(batch,)`` and queues in, next-code logits and new queues out."""
        x = tf.gather(self.embedding, codes)
        new_queues = []
        queue, x = self._causal_step(queues[0], x, *self.input_conv)
        new_queues.append(queue)
        skip = 0.0
        for queue, (kernel, bias, rate, res_k, res_b, skip_k, skip_b, filters) in zip(queues[1:], self.blocks):
            queue, h = self._causal_step(queue, x, kernel, bias, rate)
            new_queues.append(queue)
            z = tf.tanh(h[:, :filters]) * tf.sigmoid(h[:, filters:])
            skip = skip + z @ skip_k[0] + skip_b
            if res_k is not None:
                x = x + z @ res_k[0] + res_b
        h = tf.nn.relu(tf.nn.relu(skip) @ self.post[0][0] + self.post[1])
        return h @ self.out[0][0] + self.out[1], new_queues

    def _teacher_forced_graph(self, codes):
        n_steps = tf.shape(codes)[1]
        queues = self.initial_queues(codes.shape[0])
        logits = tf.TensorArray(tf.float32, size=n_steps)
        for t in tf.range(n_steps):
            step_logits, queues = self.step(codes[:, t], queues)
            logits = logits.write(t, step_logits)
        return tf.transpose(logits.stack(), (1, 0, 2))

    def logits(self, codes: np.ndarray) -> np.ndarray:
        """Next-code logits at every step of the given codes ``(batch, time)``, computed step by step."""
        codes = np.asarray(codes)
        if codes.ndim != 2:
            raise ValueError(f"codes must have shape (batch, time), got {codes.shape}")
        return self._teacher_forced(tf.constant(codes, tf.int32)).numpy()

    def _generate_graph(self, prime, n_samples, temperature, seed):
        batch = prime.shape[0]
        n_prime = tf.shape(prime)[1]
        queues = self.initial_queues(batch)
        out = tf.TensorArray(tf.int32, size=n_samples)
        code = prime[:, 0]
        for t in tf.range(n_samples):
            out = out.write(t, code)
            logits, queues = self.step(code, queues)
            sampled = tf.random.stateless_categorical(
                logits / temperature, 1, seed=tf.stack([seed, t]), dtype=tf.int32
            )[:, 0]
            code = tf.cond(t + 1 < n_prime, lambda: prime[:, tf.minimum(t + 1, n_prime - 1)], lambda: sampled)
        return tf.transpose(out.stack())

    def generate(
        self,
        n_samples: int,
        *,
        batch: int = 1,
        temperature: float = 1.0,
        seed: int = 0,
        prime: np.ndarray | None = None,
    ) -> np.ndarray:
        """Sample ``n_samples`` codes per sequence ``(batch, n_samples)``, starting from ``prime``.

        ``prime`` (codes, ``(batch, n)`` or ``(n,)``) is fed as it is, then every code is
        drawn from ``softmax(logits / temperature)``; without it the sequences start at
        the code of silence. The same ``seed`` gives the same samples.
        """
        _check_positive("n_samples", n_samples)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if prime is None:
            prime = np.full((batch, 1), mu_law_encode(np.zeros(1))[0])
        prime = np.atleast_2d(np.asarray(prime))
        if prime.shape[0] != batch:
            prime = np.repeat(prime[:1], batch, axis=0)
        return self._generate(
            tf.constant(prime, tf.int32),
            tf.constant(n_samples),
            tf.constant(temperature, tf.float32),
            tf.constant(seed, tf.int32),
        ).numpy()
