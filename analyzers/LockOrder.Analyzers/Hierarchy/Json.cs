using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Hierarchy;

// Why a hand-written reader rather than System.Text.Json (a justified exception to "prefer a library"):
// 1. Every LOCK10x diagnostic points at a line and column in lockorder.json. JsonDocument keeps no positions,
//    so we would have to drive Utf8JsonReader ourselves and map UTF-8 byte offsets back to SourceText
//    positions: a tree builder of about this size anyway.
// 2. An analyzer cannot bring its own dependencies reliably: the host (csc, VS, OmniSharp) decides which
//    System.Text.Json is loaded, and a version mismatch fails the analyzer load (CS8032). StyleCop.Analyzers
//    embeds a JSON reader (LightJson) for the same reason.
// The grammar is RFC 8259 plus // and /* */ comments (configuration files get comments). Depth is bounded.

internal enum JsonKind { Object, Array, String, Number, True, False, Null }

internal sealed class JsonNode
{
    public JsonNode(JsonKind kind, TextSpan span)
    {
        Kind = kind;
        Span = span;
    }

    public JsonKind Kind { get; }
    public TextSpan Span { get; }
    public string? StringValue { get; init; }
    public double NumberValue { get; init; }
    public IReadOnlyList<JsonProperty> Properties { get; init; } = Array.Empty<JsonProperty>();
    public IReadOnlyList<JsonNode> Items { get; init; } = Array.Empty<JsonNode>();

    public string KindName => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.True or JsonKind.False => "a boolean",
        _ => "null",
    };
}

internal sealed class JsonProperty
{
    public JsonProperty(string name, TextSpan nameSpan, JsonNode value)
    {
        Name = name;
        NameSpan = nameSpan;
        Value = value;
    }

    public string Name { get; }
    public TextSpan NameSpan { get; }
    public JsonNode Value { get; }
}

internal sealed class JsonSyntaxError
{
    public JsonSyntaxError(string message, int position)
    {
        Message = message;
        Position = position;
    }

    public string Message { get; }
    public int Position { get; }
}

internal sealed class JsonReader
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _pos;

    private JsonReader(string text) => _text = text;

    /// <summary>Parses a whole document. Never throws: a malformed document yields an error with its position.</summary>
    public static JsonNode? Parse(string text, out JsonSyntaxError? error)
    {
        var reader = new JsonReader(text);
        try
        {
            reader.SkipTrivia();
            var root = reader.ParseValue(0);
            reader.SkipTrivia();
            if (reader._pos < text.Length)
            {
                throw new FormatError("unexpected text after the end of the document", reader._pos);
            }

            error = null;
            return root;
        }
        catch (FormatError e)
        {
            error = new JsonSyntaxError(e.Message, Math.Min(e.Position, text.Length));
            return null;
        }
    }

    private sealed class FormatError : Exception
    {
        public FormatError(string message, int position) : base(message) => Position = position;
        public int Position { get; }
    }

    private JsonNode ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatError($"nesting deeper than {MaxDepth} levels", _pos);
        }

        if (_pos >= _text.Length)
        {
            throw new FormatError("unexpected end of the document; a value was expected", _pos);
        }

        char c = _text[_pos];
        switch (c)
        {
            case '{': return ParseObject(depth);
            case '[': return ParseArray(depth);
            case '"':
                {
                    int start = _pos;
                    string s = ParseString();
                    return new JsonNode(JsonKind.String, TextSpan.FromBounds(start, _pos)) { StringValue = s };
                }

            case 't': return ParseLiteral("true", JsonKind.True);
            case 'f': return ParseLiteral("false", JsonKind.False);
            case 'n': return ParseLiteral("null", JsonKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ParseNumber();
                }

                throw new FormatError($"unexpected character '{Printable(c)}'; a value was expected", _pos);
        }
    }

    private JsonNode ParseObject(int depth)
    {
        int start = _pos++;
        var props = new List<JsonProperty>();
        SkipTrivia();
        if (Peek() == '}')
        {
            _pos++;
            return new JsonNode(JsonKind.Object, TextSpan.FromBounds(start, _pos)) { Properties = props };
        }

        while (true)
        {
            SkipTrivia();
            if (Peek() != '"')
            {
                throw new FormatError("a property name in double quotes was expected", _pos);
            }

            int nameStart = _pos;
            string name = ParseString();
            var nameSpan = TextSpan.FromBounds(nameStart, _pos);
            SkipTrivia();
            Expect(':');
            SkipTrivia();
            var value = ParseValue(depth + 1);
            props.Add(new JsonProperty(name, nameSpan, value));
            SkipTrivia();
            char c = Peek();
            if (c == ',')
            {
                _pos++;
                continue;
            }

            if (c == '}')
            {
                _pos++;
                return new JsonNode(JsonKind.Object, TextSpan.FromBounds(start, _pos)) { Properties = props };
            }

            throw new FormatError(c == '\0' ? "unexpected end of the document; '}' was expected" : "',' or '}' was expected", _pos);
        }
    }

    private JsonNode ParseArray(int depth)
    {
        int start = _pos++;
        var items = new List<JsonNode>();
        SkipTrivia();
        if (Peek() == ']')
        {
            _pos++;
            return new JsonNode(JsonKind.Array, TextSpan.FromBounds(start, _pos)) { Items = items };
        }

        while (true)
        {
            SkipTrivia();
            items.Add(ParseValue(depth + 1));
            SkipTrivia();
            char c = Peek();
            if (c == ',')
            {
                _pos++;
                continue;
            }

            if (c == ']')
            {
                _pos++;
                return new JsonNode(JsonKind.Array, TextSpan.FromBounds(start, _pos)) { Items = items };
            }

            throw new FormatError(c == '\0' ? "unexpected end of the document; ']' was expected" : "',' or ']' was expected", _pos);
        }
    }

    private string ParseString()
    {
        int start = _pos;
        _pos++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw new FormatError("unterminated string", start);
            }

            char c = _text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c < 0x20)
            {
                throw new FormatError("control character in a string", _pos - 1);
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
            {
                throw new FormatError("unterminated string", start);
            }

            char e = _text[_pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length || !int.TryParse(_text.Substring(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new FormatError("invalid \\u escape", _pos - 2);
                    }

                    sb.Append((char)code);
                    _pos += 4;
                    break;
                default:
                    throw new FormatError($"invalid escape '\\{Printable(e)}'", _pos - 2);
            }
        }
    }

    private JsonNode ParseNumber()
    {
        int start = _pos;
        if (Peek() == '-')
        {
            _pos++;
        }

        if (Peek() == '0')
        {
            _pos++;
        }
        else if (IsDigit(Peek()))
        {
            while (IsDigit(Peek()))
            {
                _pos++;
            }
        }
        else
        {
            throw new FormatError("invalid number", start);
        }

        if (Peek() == '.')
        {
            _pos++;
            if (!IsDigit(Peek()))
            {
                throw new FormatError("invalid number", start);
            }

            while (IsDigit(Peek()))
            {
                _pos++;
            }
        }

        if (Peek() is 'e' or 'E')
        {
            _pos++;
            if (Peek() is '+' or '-')
            {
                _pos++;
            }

            if (!IsDigit(Peek()))
            {
                throw new FormatError("invalid number", start);
            }

            while (IsDigit(Peek()))
            {
                _pos++;
            }
        }

        double.TryParse(_text.Substring(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double value);
        return new JsonNode(JsonKind.Number, TextSpan.FromBounds(start, _pos)) { NumberValue = value };
    }

    private JsonNode ParseLiteral(string literal, JsonKind kind)
    {
        if (string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) != 0)
        {
            throw new FormatError($"unexpected character '{Printable(_text[_pos])}'; a value was expected", _pos);
        }

        int start = _pos;
        _pos += literal.Length;
        return new JsonNode(kind, TextSpan.FromBounds(start, _pos));
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c is ' ' or '\t' or '\r' or '\n' or '\uFEFF')
            {
                _pos++;
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '*')
            {
                int end = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FormatError("unterminated comment", _pos);
                }

                _pos = end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw new FormatError($"'{c}' was expected", _pos);
        }

        _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private static bool IsDigit(char c) => c >= '0' && c <= '9';

    private static string Printable(char c) => c < 0x20 ? $"\\u{(int)c:X4}" : c.ToString();
}
