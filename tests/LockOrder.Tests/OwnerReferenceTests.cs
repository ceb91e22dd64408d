using System.Linq;
using System.Threading.Tasks;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// A helper that refers back to the object that made it (a buffer's <c>Connector</c>, fixed at construction) locks
/// its maker's locks through that reference. Below a call on a helper every one of which is made with <c>this</c>,
/// those are the caller's own locks; below a call on a new object, they are the new object's, which no other thread
/// has. The shape of Npgsql's cancellation connector.
/// </summary>
public class OwnerReferenceTests
{
    private static string Source(string makeBuffer, string back = "private readonly Connector _connector;", string assignBack = "_connector = connector;", string helper = "private Buffer? _writeBuffer;") => $$"""
        using System;
        public sealed class Buffer
        {
            {{back}}
            public Buffer(Connector connector) { {{assignBack}} }
            public void Flush() { try { Write(); } catch (Exception e) { throw _connector.Break(e); } }
        private static void Write() { }
        }
        public sealed class Connector
        {
            private readonly object _cancelLock = new object();
            private readonly object _cleanupLock = new object();
            {{helper}}
            public void Open(Connector other) { _writeBuffer = {{makeBuffer}}; }
            public Exception Break(Exception reason) { lock (_cleanupLock) { lock (_cancelLock) { } } return reason; }
            public void Flush() { _writeBuffer?.Flush(); }
            public void DoCancelRequest() { Open(this); Flush(); }
            public void PerformCancellation()
            {
                lock (_cancelLock)
                {
                    var cancelConnector = new Connector();
                    cancelConnector.DoCancelRequest();
                }
            }
        }
        """;

    [Fact]
    public async Task HelperMadeWithThis_ItsBackReferenceIsTheCaller_SoANewObjectsLocksMakeNoCycle()
        => Assert.DoesNotContain(await Cycles(Source("new Buffer(this)")), d => d.Id == "LOCK008");

    [Fact]
    public async Task HelperMadeWithAnotherObject_IsAnotherConnector_TheCycleStands()
        => Assert.Contains(await Cycles(Source("new Buffer(other)")), d => d.Id == "LOCK008");

    [Fact]
    public async Task BackReferenceAssignedOutsideTheConstructor_IsNotFixed_TheCycleStands()
        => Assert.Contains(await Cycles(Source("new Buffer(this)", back: "private Connector _connector = null!; public void Rebind(Connector c) { _connector = c; }")), d => d.Id == "LOCK008");

    [Fact]
    public async Task BackReferenceUsedInALocalFunction_IsStillTheOwner()
        => Assert.DoesNotContain(await Cycles(Source("new Buffer(this)").Replace(
            "public void Flush() { try { Write(); } catch (Exception e) { throw _connector.Break(e); } }",
            "public void Flush() { try { Write(); } catch (Exception e) { Throw(e); } void Throw(Exception e) => throw _connector.Break(e); }")), d => d.Id == "LOCK008");

    [Fact]
    public async Task HelperMemberOthersMayStoreInto_MayHoldAnotherConnectorsBuffer_TheCycleStands()
        => Assert.Contains(await Cycles(Source("new Buffer(this)", helper: "internal Buffer? _writeBuffer;")), d => d.Id == "LOCK008");

    [Fact]
    public async Task HeldOnTheHelperPath_ThroughAStoredHelperOfTheCallersOwn_IsTheCallersOwnLock()
    {
        // The caller holds its cleanup lock and reaches its own cancel lock through its own buffer: the same
        // order as Break's, no cycle; the direct nesting in Break alone is no cycle either.
        var source = Source("new Buffer(this)").Replace(
            "public void Flush() { _writeBuffer?.Flush(); }",
            "public void Flush() { _writeBuffer?.Flush(); }\n    public void Cleanup() { lock (_cleanupLock) { _writeBuffer?.Flush(); } }");
        Assert.DoesNotContain(await Cycles(source), d => d.Id == "LOCK008");
    }

    // Whether a helper is made with 'this' is first read from syntax (a member whose stored values never mention
    // 'this' is settled without binding them); these pin that the reading lets every spelling of it through.
    [Theory]
    [InlineData("new Buffer((Connector)this)")]
    [InlineData("new Buffer(this!)")]
    [InlineData("new Buffer(connector: (this))")]
    [InlineData("new(this)")]
    public async Task HelperMadeWithThisSpelledAnotherWay_IsStillTheCallersOwn(string makeBuffer)
        => Assert.DoesNotContain(await Cycles(Source(makeBuffer)), d => d.Id == "LOCK008");

    [Fact]
    public async Task HelperAlsoClearedWithNull_IsStillTheCallersOwn()
        => Assert.DoesNotContain(await Cycles(Source("new Buffer(this)", helper: "private Buffer? _writeBuffer; public void Close() { _writeBuffer = null; }")), d => d.Id == "LOCK008");

    [Fact]
    public async Task HelperAlsoMadeWithAnotherObject_MayBeAnotherConnectors_TheCycleStands()
        => Assert.Contains(await Cycles(Source("new Buffer(this)", helper: "private Buffer? _writeBuffer; public void Adopt(Connector other) { _writeBuffer = new Buffer(other); }")), d => d.Id == "LOCK008");

    [Fact]
    public async Task HelperMadeWithAMemberOfThis_IsAnotherConnectors_TheCycleStands()
        => Assert.Contains(await Cycles(Source("new Buffer(this._peer)", helper: "private Buffer? _writeBuffer; private Connector _peer = null!; public void Pair(Connector peer) { _peer = peer; }")), d => d.Id == "LOCK008");

    private static async Task<System.Collections.Immutable.ImmutableArray<Diagnostic>> Cycles(string source)
    {
        var compilation = RawAnalysis.Compile(source, "Owner_" + System.Guid.NewGuid().ToString("N"));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = await RawAnalysis.Run(compilation, null, new LockCycleAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics;
    }
}
