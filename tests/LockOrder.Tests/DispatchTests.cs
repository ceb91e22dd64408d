using System.Threading.Tasks;
using Xunit;
using Order = LockOrder.Tests.Verify<LockOrder.Rules.DeclaredOrderAnalyzer>;

namespace LockOrder.Tests;

/// <summary>Virtual and interface calls run what the receiver's static type allows (class hierarchy analysis
/// bounded by the receiver), not every implementation in the compilation; a framework abstraction called on a
/// framework-typed receiver runs the framework's implementation.</summary>
public class DispatchTests
{
    private const string Types = """
        using System;
        using System.IO;
        interface IWork { void Do(); }
        class Base : IDisposable { public virtual void Step() { } public virtual void Dispose() { } public override string ToString() { lock (C.A) { return ""; } } }
        class Takes : Base, IWork
        {
            public void Do() { lock (C.A) { } }
            public override void Step() { lock (C.A) { } }
            public override void Dispose() { lock (C.A) { } }
        }
        class Quiet : Base, IWork { public void Do() { } public override void Step() { base.Step(); } }
        sealed class QuietLeaf : Quiet { }
        interface ICancelable : IDisposable { void Cancel(); }
        sealed class Importer : ICancelable { public void Cancel() { } public void Dispose() { } }
        """;

    [Fact]
    public Task Flagged_ReceiverWhoseTypeOrSubtypeTakesTheLock()
        => Order.WithTable(Types + """
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                void M(Takes t, Base b, IWork w)
                {
                    lock (B)
                    {
                        {|LOCK001:t.Do()|};
                        {|LOCK001:b.Step()|};
                        {|LOCK001:w.Do()|};
                        {|LOCK001:b.Dispose()|};
                        IWork local = new Takes();
                        {|LOCK001:local.Do()|};
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Clean_SiblingsBaseCallsAndFrameworkDisposables()
        => Order.WithTable(Types + """
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                void M(Quiet q, QuietLeaf leaf, string path, IDisposable d, object o, ICancelable copy)
                {
                    lock (B)
                    {
                        // An interface receiver runs only the types that implement that interface (not Takes.Dispose).
                        copy.Dispose();
                        // A framework abstraction on a framework-typed receiver runs the framework's implementation.
                        d.Dispose();
                        o.ToString();
                        q.Do();
                        q.Step();
                        leaf.Dispose();
                        IWork local = new Quiet();
                        local.Do();
                        using (var writer = File.AppendText(path)) { writer.WriteLine(); }
                        using (var stream = new MemoryStream()) { }
                    }
                }
            }
            """, Tables.ABS);
}
