"""The labgrad tour: backprop by hand on the seed graphs, the labs' checks, and a small MLP trained on digits.

``python -m demos`` runs, on scikit-learn's 8x8 digits (no download):

1. the computational-graph exercises (``f = (x + y) * z`` and the sigmoid
   neuron), chain rule by hand beside labgrad's gradients, rendered to SVG/PNG;
2. the seed labs' numeric checks (seed 001's asserts, seed 000's test cases);
3. a 64-64-10 ReLU MLP trained with labgrad (softmax cross-entropy, SGD), with a
   progress bar, its test accuracy, the loss curve, test images with their
   predictions, and the graph of one training step grouped by layer, also as a
   player (HTML and GIF) that steps through its forward and backward.

Each lab is also a demo of its own: ``python -m demos.<name> --help``.
"""
import time

import nn
from autograd import Tensor, viz
from demos import common, computational_graphs, layers_lab, mnist_binary
from nn import functional as F
from nn.training import predict

__all__ = ["lab_checks", "fit_mlp", "train_mlp", "step_graph", "step_player", "main", "PLAYER_FORMATS"]


PLAYER_FORMATS = ("html", "gif")         # the MLP step's player


def _section(title):
    print(f"\n=== {title} " + "=" * max(0, 72 - len(title)))


def lab_checks():
    """Seed 001's asserts and seed 000's test cases; returns (passed, total)."""
    rows = layers_lab.lab_checks()
    p1 = sum(r["ok"] for r in rows)
    print(f"seed 001 (layers_lab): {p1}/{len(rows)} asserts pass, labgrad agrees on each "
          "(LinearLayer outputs, BCE 0.693 and 0.997, backward sums 647.044, 397.748, 170.764, BCE gradient)")
    tests = mnist_binary.lab_tests()
    p0 = sum(r["ok"] for r in tests)
    print(f"seed 000 (mnist_binary): {p0}/{len(tests)} test cases pass (BCE derivative, Ex5-Ex7 layer gradients)")
    m = mnist_binary.LAB_TEST_Y.shape[0]
    errs = [mnist_binary.compare_with_engine(mnist_binary.LAB_TEST_X, mnist_binary.LAB_TEST_Y, p)[2]
            for p in mnist_binary.LAB_TEST_PARAMS.values()]
    print(f"  labgrad's gradients = {m} x the lab's expected ones (max |engine - {m} lab| = {max(errs):.1e}): "
          "the lab divides by the batch size twice")
    return p0 + p1, len(rows) + len(tests)


def fit_mlp(data, *, epochs, batch_size=32, lr=0.1, seed=0, quick=False, progress=False):
    """Train the tour's 64-hidden ReLU MLP on ``data`` with nn.fit and print how it went; write no files.

    ``quick`` keeps 300 training images. Returns a dict: ``model``, ``history`` (nn.fit's),
    ``result`` (nn.evaluate on the test set), ``seconds``, and the ``X_test``/``y_test`` used.
    """
    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if quick:
        X_train, y_train = X_train[:300], y_train[:300]
    sizes = [X_train.shape[1], 64, len(data.classes)]
    model = nn.MLP(sizes, rng=seed)
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    print(f"model: MLP {'-'.join(map(str, sizes))} (ReLU, He init), softmax cross-entropy, SGD lr {lr}, "
          f"batch {batch_size}, {epochs} epochs, {len(X_train)} training images")
    t0 = time.perf_counter()
    history = nn.fit(model, F.cross_entropy, opt, (X_train, y_train), val_data=(X_test, y_test),
                     epochs=epochs, batch_size=batch_size, seed=seed, progress=progress)
    seconds = time.perf_counter() - t0
    for e in sorted({0, len(history["train_loss"]) // 2, len(history["train_loss"]) - 1}):
        print(f"  epoch {e + 1:3d}  train loss {history['train_loss'][e]:.4f}  "
              f"test loss {history['val_loss'][e]:.4f}  test accuracy {history['val_acc'][e]:.4f}")
    result = nn.evaluate(model, F.cross_entropy, (X_test, y_test))
    print(f"training: {seconds:.2f} s ({seconds / epochs:.3f} s/epoch)")
    print(f"test accuracy: {result['acc']:.4f} on {len(X_test)} test images")
    return {"model": model, "history": history, "result": result, "seconds": seconds,
            "X_test": X_test, "y_test": y_test}


def train_mlp(args, data, out):
    """Train the tour's MLP (:func:`fit_mlp`); print and draw the results; return the test accuracy."""
    fitted = fit_mlp(data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                     quick=args.quick, progress=common.fit_progress(args))
    model, history, result = fitted["model"], fitted["history"], fitted["result"]
    X_test, y_test = fitted["X_test"], fitted["y_test"]
    common.learned(result["acc"], y_test, len(data.classes))

    common.save_history(history, out / "loss.png")
    n = 8 if args.quick else 32                     # matplotlib needs ~0.1 s per small image
    scores = predict(model, X_test[:n])
    common.save_images(X_test[:n], y_test[:n], scores, out / "predictions.png", image_shape=data.image_shape,
                       class_names=data.classes, title="test images: label → prediction (red: wrong)")
    common.save_graph(step_graph(model, X_test[:4], y_test[:4]), out / "mlp_graph")
    computational_graphs.save_player(step_player(model, X_test[:4], y_test[:4]), out / "mlp_step", PLAYER_FORMATS)
    return result["acc"]


def step_player(model, X, y):
    """The player of one training step on ``(X, y)``, grouped by layer: its forward and backward, op by op.

    ``viz.player`` computes the gradients itself and leaves every ``.grad`` as it was.
    """
    loss = F.cross_entropy(model(Tensor(X)), y)
    names = dict(model.named_parameters())
    names["loss"] = loss
    return viz.player(loss, names=names, group_by_module=True)


def step_graph(model, X, y):
    """The graph of one training step on ``(X, y)``, grouped by layer, with that batch's gradients.

    The gradients are zeroed first: after ``nn.fit`` the parameters still hold the
    last batch's, and a backward on top would add this batch's to them (``draw``
    then shows the sum, and ``—`` for every intermediate, since those gradients
    could come from no single backward). They are zeroed again afterwards.
    """
    model.zero_grad()
    loss = F.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    names = dict(model.named_parameters())
    names["loss"] = loss
    graph = viz.draw(loss, names=names, group_by_module=True)
    model.zero_grad()
    return graph


def main(argv=None):
    parser = common.make_parser("tour", __doc__.split("\n\n")[0], epochs=30, batch_size=32, lr=0.1,
                                default_data="digits", quick_epochs=2, prog="python -m demos")
    return common.run_demo(parser.parse_args(argv), _run, "matplotlib")


def _run(args, out):
    t0 = time.perf_counter()

    _section("1. Computational graphs: the chain rule by hand, and labgrad's gradients")
    computational_graphs.run(out / "graphs", formats=("svg",) if args.quick else ("svg", "png"),
                             show_steps=False)

    _section("2. The labs' own checks")
    passed, total = lab_checks()

    _section("3. A small MLP trained with labgrad")
    data = common.load_data(args)
    if data is None:
        return 2
    train_mlp(args, data, out)

    _section("Done")
    common.finish(args)
    print(f"tour: {time.perf_counter() - t0:.1f} s; figures in {out}/")
    print("each lab on its own: python -m demos.computational_graphs, demos.layers_lab, demos.mnist_binary "
          "(--help for the options)")
    return 0 if passed == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
