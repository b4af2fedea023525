"""nbgrader's OverwriteCells, made safe against a submission that renames a grade_id.

nbgrader 0.9.6 drops the unknown grade_id of such a cell but keeps the rest of its nbgrader
metadata, and then fails on it (KeyError: 'grade_id' in add_missing_grade_cells): the whole
notebook would go ungraded. Here a cell whose grade_id the assignment does not know becomes
an ordinary cell before OverwriteCells runs, nbgrader puts the original cell back (as it
does for a deleted one), and that restored cell is made to fail with the reason: editing a
locked cell's metadata forfeits that cell, and the rest of the notebook is graded as usual.
A cell that was deleted, not renamed, is restored and graded normally.
"""
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteCells


class GuardedOverwriteCells(OverwriteCells):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = [cell.name for cell in source.source_cells]
            graded = {cell.name for cell in source.grade_cells}
        renamed = []
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if "nbgrader" in cell.metadata and grade_id not in known:
                self.log.warning("Cell with unknown grade_id %r becomes an ordinary cell", grade_id)
                del cell.metadata["nbgrader"]
                if grade_id:
                    renamed.append(grade_id)
        present = {cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
                   if utils.is_grade(cell) or utils.is_solution(cell)}
        nb, resources = super().preprocess(nb, resources)
        # Pair renamed cells with the missing graded cells in notebook order: a student who
        # renames one cell's id has that one cell missing.
        missing = [name for name in known if name in graded and name not in present]
        forfeited = dict(zip(missing, renamed))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in forfeited and cell.cell_type == "code":
                cell.source = (f"raise RuntimeError({self.message(grade_id, forfeited[grade_id])!r})")
        return nb, resources

    @staticmethod
    def message(grade_id: str, renamed: str) -> str:
        return (f"This graded cell scores 0: the submission renamed its grade_id '{grade_id}' to "
                f"'{renamed}' (the metadata of a locked cell was edited).")
