using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>
/// The types of the compilation that derive from a type of the compilation, found by name: a type that derives from
/// <c>Y</c> names <c>Y</c>, or a type that derives from it, in a base list (a type of the compilation has no implicit
/// subtypes; <c>object</c>, <c>ValueType</c> and the interfaces records implement without naming them are not of the
/// compilation). So the declarations whose base lists name <c>Y</c> give its direct subtypes, theirs the next ones,
/// to a fixed point, and only those declarations are bound: a keystroke that asks who implements a method pays for
/// the types that name its type, not for every type of the project. Which declarations name which types is read from
/// each tree's declarations once for as long as the tree lives, and gathered once per compilation, so a step of the
/// fixed point is a lookup (a search of every tree's text for each subtype's name made each step cost the
/// project's size: a type with a hundred subtypes cost a hundred reads of every tree on every keystroke).
/// <para>
/// A <c>using</c> alias can rename a type in a base list (<c>using S = N.Base; class D : S</c>), so the name of
/// every alias whose target ends in a name being looked for is looked for too (an alias of an alias as well). A type
/// of another assembly has no answer here (null), and the caller walks every type as before.
/// </para>
/// </summary>
internal sealed class Subtypes
{
    private static readonly ConditionalWeakTable<SyntaxTree, BaseNames> Bases = new();

    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<INamedTypeSymbol, IReadOnlyList<INamedTypeSymbol>> _known = new(SymbolEqualityComparer.Default);
    private List<(string Alias, string Target)>? _aliases;
    private Dictionary<string, List<(int Tree, BaseTypeDeclarationSyntax Declaration)>>? _bases;

    public Subtypes(Compilation compilation) => _compilation = compilation;

    /// <summary><paramref name="type"/> and every type of the compilation derived from it (through classes and
    /// interfaces), in the order found; null when the answer cannot be found by name.</summary>
    public IReadOnlyList<INamedTypeSymbol>? Of(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        type = type.OriginalDefinition;
        if (!SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _compilation.Assembly)
            || type.DeclaringSyntaxReferences.Length == 0)
        {
            return null;
        }

        return _known.TryGetValue(type, out var known) ? known : _known.GetOrAdd(type, Find(type, cancellationToken));
    }

    private IReadOnlyList<INamedTypeSymbol> Find(INamedTypeSymbol root, CancellationToken cancellationToken)
    {
        var found = new List<INamedTypeSymbol> { root };
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { root };
        var bases = BasesOf(cancellationToken);
        var hits = new List<(int Tree, BaseTypeDeclarationSyntax Declaration)>();
        for (int next = 0; next < found.Count; next++)
        {
            var named = found[next];
            var names = NamesOf(named.Name, cancellationToken);
            hits.Clear();
            foreach (var name in names)
            {
                if (bases.TryGetValue(name, out var declarations))
                {
                    hits.AddRange(declarations);
                }
            }

            // In the trees' order, and within a tree the name's declarations before an alias's, each in text order.
            var ordered = names.Count == 1 ? hits : hits.OrderBy(h => h.Tree).ToList();
            SemanticModel? semantic = null;
            int semanticTree = -1;
            foreach (var (tree, declaration) in ordered)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (tree != semanticTree)
                {
#pragma warning disable RS1030 // Only the trees whose base lists name the type, only on demand; the driver caches semantic models.
                    semantic = _compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                    semanticTree = tree;
                }

                if (semantic!.GetDeclaredSymbol(declaration, cancellationToken) is INamedTypeSymbol derived
                    && Knowledge.Constructions.IsOrDerivesFrom(derived, named) && seen.Add(derived.OriginalDefinition))
                {
                    found.Add(derived.OriginalDefinition);
                }
            }
        }

        return found;
    }

    /// <summary>Every type declaration of the compilation by the last name each type in its base list is spelled
    /// with (<c>Y</c> for <c>: Y</c>, <c>: N.Y&lt;T&gt;</c>, <c>: global::N.Y</c>, <c>: Y(args)</c> of a record), with
    /// its tree's place in the compilation, in the trees' order and each tree's text order. Made once per compilation
    /// from each tree's list, which is read once per tree (<see cref="BaseNames"/>), so an edit reads only the edited
    /// tree again.</summary>
    private Dictionary<string, List<(int Tree, BaseTypeDeclarationSyntax Declaration)>> BasesOf(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _bases) is { } known)
        {
            return known;
        }

        var all = new Dictionary<string, List<(int, BaseTypeDeclarationSyntax)>>(StringComparer.Ordinal);
        int index = 0;
        foreach (var tree in _compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Bases.TryGetValue(tree, out var names))
            {
                var made = BaseNames.Of(tree, cancellationToken);
                names = Bases.GetValue(tree, _ => made);
            }

            foreach (var (name, declaration) in names.Items)
            {
                if (!all.TryGetValue(name, out var list))
                {
                    all[name] = list = new List<(int, BaseTypeDeclarationSyntax)>(1);
                }

                list.Add((index, declaration));
            }

            index++;
        }

        Volatile.Write(ref _bases, all);
        return all;
    }

    /// <summary>The name, and the names of the aliases that may stand for a type of that name.</summary>
    private List<string> NamesOf(string name, CancellationToken cancellationToken)
    {
        var names = new List<string> { name };
        var aliases = AliasesOf(cancellationToken);
        for (int next = 0; next < names.Count; next++)
        {
            foreach (var (alias, target) in aliases)
            {
                if (target == names[next] && !names.Contains(alias))
                {
                    names.Add(alias);
                }
            }
        }

        return names;
    }

    /// <summary>Every <c>using</c> alias of the compilation with the last name of its target (each tree's read once,
    /// <see cref="Knowledge.TreeUsings"/>), gathered once per compilation.</summary>
    private List<(string Alias, string Target)> AliasesOf(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _aliases) is { } known)
        {
            return known;
        }

        var all = new List<(string, string)>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            all.AddRange(Knowledge.TreeUsings.Of(tree, cancellationToken).Aliases);
        }

        Volatile.Write(ref _aliases, all);
        return all;
    }

    /// <summary>A tree's type declarations, each with the last name of each type in its base list, in text order;
    /// kept as long as the tree lives. Read from the declarations alone (a compilation unit's, a namespace's and a
    /// type's members), never from a body: a type is declared nowhere else.</summary>
    private sealed class BaseNames
    {
        public List<(string Name, BaseTypeDeclarationSyntax Declaration)> Items { get; } = new();

        public static BaseNames Of(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var made = new BaseNames();
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
            {
                if (node is BaseTypeDeclarationSyntax { BaseList: { } list } declaration)
                {
                    foreach (var baseType in list.Types)
                    {
                        if (Knowledge.TreeUsings.LastName(baseType.Type) is { } name)
                        {
                            made.Items.Add((name, declaration));
                        }
                    }
                }
            }

            return made;
        }
    }
}
