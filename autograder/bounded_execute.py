"""nbgrader's Execute preprocessor with a cap on what one cell may send back.

nbgrader's LimitOutput trims outputs only after the whole notebook has run, so a cell that
prints gigabytes has first been held in the grader's memory. This preprocessor drops a
cell's outputs past `max_output_bytes` as they arrive, and says so once in the cell. The
cap is enforced here, in the grader, because anything inside the kernel (a patched
sys.stdout) is student code's to undo.
"""
import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer


class BoundedExecute(Execute):
    max_output_bytes = Integer(
        1_000_000,
        help="Bytes of output (stream text, images, errors) kept per cell; later output is dropped.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes = {}
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":
            # An error is kept whatever came before it (it is what fails the cell), shortened.
            content = dict(msg["content"], evalue=msg["content"]["evalue"][:10_000],
                           traceback=[line[:10_000] for line in msg["content"]["traceback"][-100:]])
            return super().output(outs, dict(msg, content=content), display_id, cell_index)
        used = self._output_bytes.get(cell_index, 0)
        if used > self.max_output_bytes:
            return None  # already truncated: drop without measuring
        used += len(json.dumps(msg["content"]))
        self._output_bytes[cell_index] = used
        if used > self.max_output_bytes:
            # stdout, not stderr: nbgrader scores a graded cell with any stderr output 0.
            outs.append(new_output("stream", name="stdout", text=(
                f"\n[output truncated by the grader: this cell printed more than "
                f"{self.max_output_bytes:,} bytes]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)
