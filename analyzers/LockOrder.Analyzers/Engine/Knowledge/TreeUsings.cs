using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Knowledge;

/// <summary>
/// The <c>using</c> directives of a tree that can hide a type's name at its use: aliases (<c>using S = N.Base;</c>)
/// and <c>using static</c> imports, at the tree's top (global or not) or in a namespace, each by the last name of
/// its target. Read once per tree, for as long as the tree lives, so a compilation made by an edit reads only the
/// edited tree again. The subtypes found by name read the aliases (<see cref="Calls.Subtypes"/>); the body filter
/// reads both, for the blocking types whose members are called without their type's name
/// (<see cref="BodyFilter.MayActAlone"/>).
/// </summary>
internal sealed class TreeUsings
{
    private static readonly ConditionalWeakTable<SyntaxTree, TreeUsings> Trees = new();

    private TreeUsings()
    {
    }

    /// <summary>Each alias with the last name of its target.</summary>
    public List<(string Alias, string Target)> Aliases { get; } = new();

    /// <summary>The last name of each <c>using static</c> target.</summary>
    public List<string> Statics { get; } = new();

    public static TreeUsings Of(SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (Trees.TryGetValue(tree, out var known))
        {
            return known;
        }

        var made = new TreeUsings();
        made.Collect(tree.GetRoot(cancellationToken));
        return Trees.GetValue(tree, _ => made);
    }

    /// <summary>The last simple name of a type as written (<c>Y</c> for <c>Y</c>, <c>N.Y&lt;T&gt;</c>,
    /// <c>global::N.Y</c>); null for anything else (a keyword type, an array).</summary>
    public static string? LastName(TypeSyntax? type) => type switch
    {
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
        _ => null,
    };

    private void Collect(SyntaxNode node)
    {
        var (usings, members) = node switch
        {
            CompilationUnitSyntax unit => (unit.Usings, unit.Members),
            BaseNamespaceDeclarationSyntax space => (space.Usings, space.Members),
            _ => (default(SyntaxList<UsingDirectiveSyntax>), default(SyntaxList<MemberDeclarationSyntax>)),
        };
        foreach (var directive in usings)
        {
            if (LastName(directive.NamespaceOrType) is not { } target)
            {
                continue;
            }

            if (directive.Alias is { } alias)
            {
                Aliases.Add((alias.Name.Identifier.ValueText, target));
            }
            else if (directive.StaticKeyword != default)
            {
                Statics.Add(target);
            }
        }

        foreach (var member in members)
        {
            if (member is BaseNamespaceDeclarationSyntax)
            {
                Collect(member);
            }
        }
    }
}
