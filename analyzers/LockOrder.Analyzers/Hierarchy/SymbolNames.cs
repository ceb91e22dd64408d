using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace LockOrder.Hierarchy;

/// <summary>
/// The one naming scheme shared by lockorder.json and the engine: <c>Namespace.Type.Member</c>, nested types
/// joined with '.', generic arity ignored.
/// </summary>
internal static class SymbolNames
{
    public static string Qualified(ISymbol symbol)
    {
        var sb = new StringBuilder();
        Append(sb, symbol);
        return sb.ToString();
    }

    public static string Member(IMethodSymbol method) => Qualified(method.ContainingType) + "." + method.Name;

    private static void Append(StringBuilder sb, ISymbol symbol)
    {
        if (symbol is INamespaceSymbol { IsGlobalNamespace: true })
        {
            return;
        }

        var container = (ISymbol?)symbol.ContainingType ?? symbol.ContainingNamespace;
        if (container is not null && !(container is INamespaceSymbol { IsGlobalNamespace: true }))
        {
            Append(sb, container);
            sb.Append('.');
        }

        sb.Append(symbol.Name);
    }
}

internal enum ResolveStatus
{
    Resolved,

    /// <summary>The namespace exists but the type or member does not: a stale or misspelt entry.</summary>
    Missing,

    /// <summary>The namespace is not in this compilation: the entry belongs to another project.</summary>
    OtherProject,
}

/// <summary>Resolves a qualified name from lockorder.json against a compilation.</summary>
internal static class SymbolResolver
{
    public static ResolveStatus Resolve(Compilation compilation, string qualifiedName, out ImmutableArray<ISymbol> symbols, out string missingPart)
    {
        symbols = ImmutableArray<ISymbol>.Empty;
        var parts = qualifiedName.Split('.');
        INamespaceOrTypeSymbol current = compilation.GlobalNamespace;
        int i = 0;
        for (; i < parts.Length; i++)
        {
            var next = Lookup(current, parts[i]);
            if (next.Count == 0)
            {
                break;
            }

            var nsOrType = next.OfType<INamespaceOrTypeSymbol>().FirstOrDefault();
            if (i == parts.Length - 1)
            {
                symbols = next.ToImmutableArray();
                missingPart = "";
                return ResolveStatus.Resolved;
            }

            if (nsOrType is null)
            {
                // A member with more segments after it: nothing can be nested in a member.
                break;
            }

            current = nsOrType;
        }

        missingPart = parts[i];
        int remaining = parts.Length - i;

        // Inside a type, anything missing is a missing member or nested type. Inside a namespace, only a
        // missing "Type" or "Type.Member" says the entry targets this namespace; a longer remainder means a
        // namespace this compilation does not have, i.e. another project's entry.
        if (current is ITypeSymbol || remaining <= 2 && !(current is INamespaceSymbol { IsGlobalNamespace: true }))
        {
            return ResolveStatus.Missing;
        }

        return ResolveStatus.OtherProject;
    }

    /// <summary>
    /// Every symbol a qualified name denotes in the compilation or its references: all arities of a generic type,
    /// every overload of a method, members of every type that matches the name's type part. Empty when nothing does.
    /// </summary>
    public static ImmutableArray<ISymbol> All(Compilation compilation, string qualifiedName)
    {
        var parts = qualifiedName.Split('.');
        var containers = new List<INamespaceOrTypeSymbol> { compilation.GlobalNamespace };
        for (int i = 0; i < parts.Length - 1 && containers.Count > 0; i++)
        {
            containers = containers.SelectMany(c => c.GetMembers(parts[i])).OfType<INamespaceOrTypeSymbol>().ToList();
        }

        return containers.SelectMany(c => c.GetMembers(parts[parts.Length - 1])).ToImmutableArray();
    }

    private static List<ISymbol> Lookup(INamespaceOrTypeSymbol container, string name)
    {
        var result = new List<ISymbol>();
        foreach (var member in container.GetMembers(name))
        {
            result.Add(member);
        }

        return result;
    }
}
