using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// A body without loops or backward jumps is solved and replayed in one pass, in block order. That pass must record
/// exactly the facts the fixpoint and its replay record, in the same order: for every body of the bundled sources
/// (the seed port, the reference, the kernel shim) and the test corpus, the facts of both ways, written out in full,
/// are equal; and both ways are exercised (bodies with and without loops).
/// </summary>
public class OnePassTests
{
    public static IEnumerable<object[]> Sources() => new[]
    {
        new object[] { "SampleCache.Seed" },
        new object[] { "SampleCache.Reference" },
        new object[] { "Corpus" },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void One_pass_records_what_the_fixpoint_and_its_replay_record(string source)
    {
        var compilation = Compile(source);
        var table = File.ReadAllText(LockTableTests.RepoFile("lockorder.json"));
        var model = LockModel.For(compilation, RawAnalysis.Options(table), CancellationToken.None);
        var locks = new LockOperations(model.Knowledge);
        int forward = 0, looping = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax && LockModel.HasBodySyntax(n)))
            {
                var owner = (IMethodSymbol)semantic.GetDeclaredSymbol(declaration)!;
                var root = LockModel.BodyRoot(semantic.GetOperation(declaration));
                if (root is null || LockModel.CreateGraph(root, CancellationToken.None) is not { } cfg)
                {
                    continue;
                }

                var onePass = BodyAnalysis.Analyze(cfg, owner, root, model.Knowledge, locks, CancellationToken.None);
                var twoPasses = BodyAnalysis.Analyze(cfg, owner, root, model.Knowledge, locks, CancellationToken.None, onePass: false);
                Assert.Equal(Write(twoPasses), Write(onePass));
                if (new CfgWalker<LockState>(cfg).IsForward)
                {
                    forward++;
                }
                else
                {
                    looping++;
                }
            }
        }

        Assert.True(forward > 10, $"{forward} bodies without loops");
        Assert.True(looping > 0, $"{looping} bodies with loops");
    }

    internal static Compilation Compile(string source)
    {
        string Dir(string name) => LockTableTests.RepoFile(Path.Combine("sample-cache", name));
        var files = source == "Corpus"
            ? Directory.GetFiles(LockTableTests.RepoFile(Path.Combine("tests", "LockOrder.Tests", "Corpus")), "*.cs")
            : Directory.GetFiles(Dir("SampleCache.Kernel"), "*.cs").Concat(Directory.GetFiles(Dir(source), "*.cs")).ToArray();
        var compilation = RawAnalysis.Compile("", source);
        return compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f)));
    }

    /// <summary>Every fact of every body, in order, with what the rules read of it.</summary>
    private static string Write(ImmutableArray<BodyFacts> bodies)
    {
        var text = new StringBuilder();
        foreach (var body in bodies)
        {
            text.AppendLine($"body {body.Owner.ToDisplayString()} {body.Incomplete}");
            foreach (var a in body.Acquisitions)
            {
                text.AppendLine($"  acquire {Span(a.Syntax)} {a.Event.Kind} {a.Lock} held [{Held(a.HeldBefore)}] dropped [{string.Join(",", a.Dropped.Select(d => d.Display).OrderBy(d => d))}] {a.Place} after [{string.Join(",", a.OrderedAfter)}]");
            }

            foreach (var r in body.Releases)
            {
                text.AppendLine($"  release {Span(r.Syntax)} {r.Event.Kind} {r.Event.Lock} {r.WasHeld}");
            }

            foreach (var c in body.Calls)
            {
                text.AppendLine($"  call {Span(c.Syntax)} {c.Target?.ToDisplayString()} held [{Held(c.Held)}] {c.Blocking} dropped [{string.Join(",", c.Dropped.Select(d => d.Display).OrderBy(d => d))}] {c.Dispatch.Relation} {c.Objects.Receiver}");
            }

            foreach (var w in body.Awaits)
            {
                text.AppendLine($"  await {Span(w.Syntax)} held [{Held(w.Held)}]");
            }

            foreach (var m in body.Merges)
            {
                text.AppendLine($"  merge {m.Location.SourceSpan} [{Held(m.OnSomePaths)}] {m.AtExit}");
            }

            foreach (var x in body.Accesses)
            {
                text.AppendLine($"  access {Span(x.Syntax)} {x.Member.Name} {x.IsWrite} held [{Held(x.Held)}]");
            }

            text.AppendLine($"  exit [{Held(body.HeldAtExit)}]");
        }

        return text.ToString();
    }

    private static string Span(SyntaxNode syntax) => syntax.SyntaxTree.FilePath.Split('/').Last() + syntax.Span;

    private static string Held(ImmutableArray<HeldLock> held) => string.Join(", ", held.Select(h => h + " " + Span(h.Site)));
}
