using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Knowledge;

/// <summary>
/// Whether any method a compilation can see has a given name: one declared in its trees, or one defined in the
/// metadata of an assembly it references (a method it may use: not private, and internal only where the assembly
/// gives this one access). A name no such method has cannot be a method group. Read without creating a
/// symbol: a tree's method names from its declarations, an assembly's from its metadata tables (its method
/// definitions), each kept for as long as the tree or the metadata lives (an edit re-reads the edited tree; a
/// reference read once serves every compilation that shares it).
/// </summary>
internal sealed class MethodNames
{
    /// <summary>Methods every delegate type has without a declaration in source (a source delegate's
    /// <c>Invoke</c>) or that a record is given (<c>Deconstruct</c>, <c>PrintMembers</c>, and those of
    /// <c>object</c>, which metadata holds anyway).</summary>
    private static readonly string[] Implicit = { "Invoke", "BeginInvoke", "EndInvoke", "Deconstruct", "PrintMembers", "ToString", "Equals", "GetHashCode" };

    private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>> InTrees = new();

    private static readonly ConditionalWeakTable<SyntaxTree, HashSet<string>>.CreateValueCallback Declared = tree => new HashSet<string>(
        tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax)
            .OfType<MethodDeclarationSyntax>().Select(m => m.Identifier.ValueText),
        StringComparer.Ordinal);

    private static readonly ConditionalWeakTable<AssemblyMetadata, Defined> InMetadata = new();

    private static readonly ConditionalWeakTable<ModuleMetadata, Defined> InModules = new();

    /// <summary>An assembly's method names: those other assemblies may use (public, protected, protected internal),
    /// and those only assemblies it gives access to may (internal, private protected). Private ones are left out:
    /// no other assembly can make a method group of them.</summary>
    private sealed class Defined
    {
        public readonly HashSet<string> Visible = new(StringComparer.Ordinal);
        public readonly HashSet<string> Internal = new(StringComparer.Ordinal);
    }

    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, bool> _inSource = new(StringComparer.Ordinal);
    private readonly Lazy<IReadOnlyList<HashSet<string>>?> _referenced;

    public MethodNames(Compilation compilation)
    {
        _compilation = compilation;
        _referenced = new Lazy<IReadOnlyList<HashSet<string>>?>(Referenced, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The names of the methods one tree declares, read from its declarations (bodies are not walked).</summary>
    public static HashSet<string> Of(SyntaxTree tree) => InTrees.GetValue(tree, Declared);

    /// <summary>Whether a method of the compilation's trees has the name.</summary>
    public bool InSource(string name) => _inSource.GetOrAdd(name, n => _compilation.SyntaxTrees.Any(t => Of(t).Contains(n)));

    /// <summary>Whether any method the compilation can see may have the name: true unless no tree declares it, no
    /// referenced assembly's metadata defines it and it is not a method every delegate or record has. A referenced
    /// assembly without metadata (another project a workspace references as a compilation) makes every name a
    /// possible method.</summary>
    public bool MayBeMethod(string name)
    {
        if (Implicit.Contains(name) || InSource(name))
        {
            return true;
        }

        return _referenced.Value is not { } referenced || referenced.Any(names => names.Contains(name));
    }

    /// <summary>The method names of every referenced assembly; null when one has no metadata to read (or metadata
    /// that cannot be read: then every name may be a method, never an exception).</summary>
    private IReadOnlyList<HashSet<string>>? Referenced()
    {
        try
        {
            return ReadReferenced();
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    private IReadOnlyList<HashSet<string>>? ReadReferenced()
    {
        var all = new List<HashSet<string>>();
        foreach (var assembly in _compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (assembly.GetMetadata() is not { } metadata)
            {
                return null;
            }

            var defined = InMetadata.GetValue(metadata, Read);
            all.Add(defined.Visible);
            if (assembly.GivesAccessTo(_compilation.Assembly))
            {
                all.Add(defined.Internal);
            }
        }

        // Modules added to the compilation's own assembly (/addmodule) define methods of it too.
        foreach (var module in _compilation.Assembly.Modules.Skip(1))
        {
            if (module.GetMetadata() is not { } added)
            {
                return null;
            }

            var defined = InModules.GetValue(added, m => Read(new[] { m }));
            all.Add(defined.Visible);
            all.Add(defined.Internal);
        }

        return all;
    }

    private static Defined Read(AssemblyMetadata metadata) => Read(metadata.GetModules());

    private static Defined Read(IEnumerable<ModuleMetadata> modules)
    {
        var defined = new Defined();
        foreach (var module in modules)
        {
            var reader = module.GetMetadataReader();
            foreach (var handle in reader.MethodDefinitions)
            {
                var method = reader.GetMethodDefinition(handle);
                switch (method.Attributes & MethodAttributes.MemberAccessMask)
                {
                    case MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem:
                        defined.Visible.Add(reader.GetString(method.Name));
                        break;
                    case MethodAttributes.Assembly or MethodAttributes.FamANDAssem:
                        defined.Internal.Add(reader.GetString(method.Name));
                        break;
                }
            }
        }

        return defined;
    }
}
