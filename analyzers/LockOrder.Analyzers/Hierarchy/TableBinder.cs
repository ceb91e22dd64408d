using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace LockOrder.Hierarchy;

/// <summary>LOCK103: table entries that do not resolve in a compilation (see <see cref="SymbolResolver"/>).</summary>
internal static class TableBinder
{
    public static ImmutableArray<TableProblem> Check(LockTable table, Compilation compilation)
    {
        var problems = ImmutableArray.CreateBuilder<TableProblem>();
        if (!table.IsUsable)
        {
            return problems.ToImmutable();
        }

        foreach (var decl in table.Locks)
        {
            foreach (var symbol in decl.Symbols)
            {
                Check(compilation, symbol, s => s is IFieldSymbol or IPropertySymbol or INamedTypeSymbol,
                    $"'{decl.Name}' (row {decl.Row})", "a field, property or type", problems);
            }

            foreach (var member in decl.Protects)
            {
                Check(compilation, member, s => s is IFieldSymbol or IPropertySymbol, $"'{decl.Name}' (row {decl.Row}) protects", "a field or property", problems);
            }

            foreach (var init in decl.Init)
            {
                Check(compilation, init, s => s is IMethodSymbol, $"'{decl.Name}' (row {decl.Row}) init", "a method", problems);
            }
        }

        foreach (var primitive in table.Primitives)
        {
            var status = Check(compilation, primitive.Type, s => s is INamedTypeSymbol, "primitive", "a type", problems);
            if (status != ResolveStatus.Resolved)
            {
                continue;
            }

            foreach (var method in primitive.Acquire.Concat(primitive.Release).Concat(primitive.TryAcquire))
            {
                if (method.Value.IndexOf('.') >= 0)
                {
                    Check(compilation, method, s => s is IMethodSymbol { IsStatic: true }, "primitive", "a static method", problems);
                }
                else
                {
                    Check(compilation, new Located(primitive.Type.Value + "." + method.Value, method.Span), s => s is IMethodSymbol, $"primitive '{primitive.Type.Value}'", "a method", problems);
                }
            }
        }

        foreach (var blocking in table.Blocking)
        {
            Check(compilation, blocking, s => s is IMethodSymbol or IPropertySymbol, "blocking", "a method", problems);
        }

        foreach (var invoker in table.Invokes)
        {
            Check(compilation, invoker, s => s is IMethodSymbol, "invokes", "a method", problems);
        }

        foreach (var free in table.Frees)
        {
            Check(compilation, free, s => s is IMethodSymbol, "frees", "a method", problems);
        }

        return problems.ToImmutable();
    }

    private static ResolveStatus Check(Compilation compilation, Located entry, System.Func<ISymbol, bool> acceptable, string where, string expected, ImmutableArray<TableProblem>.Builder problems)
    {
        var status = SymbolResolver.Resolve(compilation, entry.Value, out var symbols, out var missing);
        switch (status)
        {
            case ResolveStatus.Missing:
                problems.Add(new TableProblem(Descriptors.TableUnresolved, entry.Span,
                    $"{where}: '{entry.Value}' does not resolve in this compilation ('{missing}' not found); fix or remove the entry"));
                break;
            case ResolveStatus.Resolved when !symbols.Any(acceptable):
                problems.Add(new TableProblem(Descriptors.TableUnresolved, entry.Span,
                    $"{where}: '{entry.Value}' resolves to a {symbols[0].Kind.ToString().ToLowerInvariant()}, not {expected}"));
                return ResolveStatus.Missing;
        }

        return status;
    }
}
