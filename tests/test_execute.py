"""audioml.book.execute: the code hash that tells a stale notebook, and the runtime-log filter."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output

from audioml.book.execute import clean_outputs, code_sha256, drop_runtime_logs

TF_IMPORT = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795687137.190981   32044 port.cc:153] oneDNN custom operations are on.\n"
)


def test_runtime_logs_go_and_everything_else_stays() -> None:
    notebook = new_notebook(
        cells=[
            new_code_cell("import keras", outputs=[new_output("stream", name="stderr", text=TF_IMPORT)]),
            new_code_cell(
                "run()",
                outputs=[
                    new_output(
                        "stream",
                        name="stderr",
                        text="INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
                        "UserWarning: the chapter's own warning\n",
                    ),
                    new_output("stream", name="stdout", text="I0000 00:00:1.0 1 port.cc:1] printed by the chapter\n"),
                ],
            ),
        ]
    )
    assert drop_runtime_logs(notebook) == 3
    assert notebook.cells[0].outputs == []
    assert [o["text"] for o in notebook.cells[1].outputs] == [
        "UserWarning: the chapter's own warning\n",
        "I0000 00:00:1.0 1 port.cc:1] printed by the chapter\n",
    ]


def test_tf_function_retracing_advice_goes_from_any_stream_with_its_blank_line() -> None:
    advice = (
        "WARNING:tensorflow:5 out of the last 5 calls to <function TensorFlowTrainer.make_predict_function."
        "<locals>.one_step_on_data_distributed at 0x7f> triggered tf.function retracing. Tracing is "
        "expensive and ... for  more details.\n\n"
    )
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "cv()",
                outputs=[
                    new_output("stream", name="stdout", text=advice),
                    new_output("stream", name="stderr", text="WARNING:tensorflow:a warning the chapter should show\n"),
                ],
            )
        ]
    )
    assert drop_runtime_logs(notebook) == 1
    assert [o["text"] for o in notebook.cells[0].outputs] == ["WARNING:tensorflow:a warning the chapter should show\n"]


def test_code_hash_ignores_outputs_and_injected_parameters() -> None:
    cells = [new_code_cell("fast = False", metadata={"tags": ["parameters"]}), new_code_cell("x = 1")]
    before = code_sha256(new_notebook(cells=cells))
    cells[1].outputs = [new_output("stream", name="stdout", text="1\n")]
    injected = new_code_cell("fast = True", metadata={"tags": ["injected-parameters"]})
    assert code_sha256(new_notebook(cells=[cells[0], injected, cells[1]])) == before
    cells[1].source = "x = 2"
    assert code_sha256(new_notebook(cells=cells)) != before


def test_machine_paths_become_what_the_reader_can_use() -> None:
    paths = {"/work/shared/data/": "$AUDIOML_DATA/", "/work/main/": ""}
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "log.write()",
                outputs=[
                    new_output("execute_result", data={"text/plain": "PosixPath('/work/main/results/05_cnn.json')"}),
                    new_output("stream", name="stdout", text="e.g. /work/shared/data/esc10/audio/1-30226-A.ogg\n"),
                ],
            )
        ]
    )
    clean_outputs(notebook, paths)
    outputs = notebook.cells[0].outputs
    assert outputs[0]["data"]["text/plain"] == "PosixPath('results/05_cnn.json')"
    assert outputs[1]["text"] == "e.g. $AUDIOML_DATA/esc10/audio/1-30226-A.ogg\n"
