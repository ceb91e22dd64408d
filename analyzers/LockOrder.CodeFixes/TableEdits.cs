using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.CodeFixes;

/// <summary>
/// Edits of lockorder.json that keep it as it was written: rows are moved by putting each row's text in another
/// row's slot (the separators, line breaks and indentation between slots stay where they were), and a new row is
/// inserted with the separator that stands between its neighbours. Only a table read without problems is edited.
/// </summary>
internal static class TableEdits
{
    /// <summary>The project's table document, when the model read one without problems.</summary>
    public static TextDocument? TableDocument(Project project, LockModel model)
        => model.TableFile is { } file && model.Table.IsUsable && model.Table.Problems.IsEmpty
            ? project.AdditionalDocuments.FirstOrDefault(d => d.FilePath is { } path && LockModel.SamePath(path, file.Path))
            : null;

    /// <summary>The table with <paramref name="row"/> moved to just above <paramref name="above"/>.</summary>
    public static string MoveAbove(SourceText text, LockTable table, LockDecl row, LockDecl above)
    {
        var order = table.Locks.Where(l => l != row).ToList();
        order.Insert(order.IndexOf(above), row);
        var slots = table.Locks.Select(l => l.RowSpan).ToList();
        var result = new StringBuilder();
        int at = 0;
        for (int i = 0; i < slots.Count; i++)
        {
            result.Append(text.ToString(TextSpan.FromBounds(at, slots[i].Start)));
            result.Append(text.ToString(order[i].RowSpan));
            at = slots[i].End;
        }

        result.Append(text.ToString(TextSpan.FromBounds(at, text.Length)));
        return result.ToString();
    }

    /// <summary>The table with a new row (its JSON text) inserted at 0-based <paramref name="index"/>.</summary>
    public static string Insert(SourceText text, LockTable table, int index, string row)
    {
        var locks = table.Locks;
        if (locks.Length == 0)
        {
            return text.ToString();
        }

        // The separator between two rows as written (",\n    "), or a plain one when there is a single row.
        string separator = locks.Length > 1 ? text.ToString(TextSpan.FromBounds(locks[0].RowSpan.End, locks[1].RowSpan.Start)) : ", ";
        var full = text.ToString();
        return index < locks.Length
            ? full.Substring(0, locks[index].RowSpan.Start) + row + separator + full.Substring(locks[index].RowSpan.Start)
            : full.Substring(0, locks[locks.Length - 1].RowSpan.End) + separator + row + full.Substring(locks[locks.Length - 1].RowSpan.End);
    }

    /// <summary>Applies new text to the table document.</summary>
    public static Task<Solution> WithTextAsync(TextDocument document, string text)
        => Task.FromResult(document.Project.Solution.WithAdditionalDocumentText(document.Id, SourceText.From(text)));

    /// <summary>Every order edge of the compilation between two rows of the table (held row, taken row), except a
    /// lock taken again while held.</summary>
    public static IEnumerable<(LockDecl Held, LockDecl Taken)> DeclaredEdges(LockModel model, CancellationToken cancellationToken)
    {
        foreach (var body in model.AllBodies(cancellationToken))
        {
            foreach (var edge in Engine.Queries.OrderEdges.Of(model, body, cancellationToken))
            {
                if (edge.Held.Class.Decl is { } held && edge.Taken.Decl is { } taken && held != taken)
                {
                    yield return (held, taken);
                }
            }
        }
    }
}
