"""Python statements for validators and codecs, computed from the IR.

Templates only loop over what these functions return; every decision
about what a constraint turns into lives here.
"""

from typing import List

from . import model as m

TYPE = "TypeConstraintViolation"
OCCURENCE = "OccurenceConstraintViolation"  # the 1.6 wire spelling
PROPERTY = "PropertyConstraintViolation"


def _raise(code_const: str, path_code: str, rule: str) -> str:
    return "raise ValidationError(%s, %s, %r)" % (code_const, path_code, rule)


def _number_literal(value) -> str:
    return repr(value)


def value_checks(t: m.TypeRef, var: str, path_code: str, depth: int = 0) -> List[str]:
    """Statements that check `var` (already present) against `t`; 4-space indents."""
    lines: List[str] = []
    if t.kind == m.STRING or t.kind == m.ENUM:
        lines.append("if not isinstance(%s, str):" % var)
        lines.append("    " + _raise("TYPE", path_code, "type string"))
        if t.kind == m.ENUM:
            lines.append("if %s not in ENUM_%s:" % (var, t.enum))
            lines.append("    " + _raise("PROPERTY", path_code, "enum"))
        if t.max_length is not None:
            lines.append("if len(%s) > %d:" % (var, t.max_length))
            lines.append("    " + _raise("PROPERTY", path_code, "maxLength %d" % t.max_length))
        if t.format == "date-time":
            lines.append("if not is_date_time(%s):" % var)
            lines.append("    " + _raise("PROPERTY", path_code, "format date-time"))
        elif t.format == "uri":
            lines.append("if not is_uri(%s):" % var)
            lines.append("    " + _raise("PROPERTY", path_code, "format uri"))
    elif t.kind == m.INTEGER or t.kind == m.NUMBER:
        if t.kind == m.NUMBER:
            lines.append("if type(%s) is not int and type(%s) is not float:" % (var, var))
            lines.append("    " + _raise("TYPE", path_code, "type number"))
        elif t.integral_float:
            # `% 1` rather than int(): inf and nan must fail, not raise.
            lines.append(
                "if type(%s) is not int and not (type(%s) is float and %s %% 1 == 0):"
                % (var, var, var)
            )
            lines.append("    " + _raise("TYPE", path_code, "type integer"))
        else:
            lines.append("if type(%s) is not int:" % var)
            lines.append("    " + _raise("TYPE", path_code, "type integer"))
        if t.minimum is not None:
            lines.append("if %s < %s:" % (var, _number_literal(t.minimum)))
            lines.append("    " + _raise("PROPERTY", path_code, "minimum %s" % t.minimum))
        if t.maximum is not None:
            lines.append("if %s > %s:" % (var, _number_literal(t.maximum)))
            lines.append("    " + _raise("PROPERTY", path_code, "maximum %s" % t.maximum))
        if t.multiple_of is not None:
            lines.append("if not is_multiple_of(%s, %s):" % (var, _number_literal(t.multiple_of)))
            lines.append("    " + _raise("PROPERTY", path_code, "multipleOf %s" % t.multiple_of))
    elif t.kind == m.BOOLEAN:
        lines.append("if type(%s) is not bool:" % var)
        lines.append("    " + _raise("TYPE", path_code, "type boolean"))
    elif t.kind == m.OBJECT:
        lines.append("try:")
        lines.append("    validate_%s(%s)" % (t.object, var))
        lines.append("except ValidationError as error:")
        lines.append("    raise error.within(%s)" % path_code)
    elif t.kind == m.ARRAY:
        lines.append("if type(%s) is not list:" % var)
        lines.append("    " + _raise("TYPE", path_code, "type array"))
        if t.min_items is not None:
            lines.append("if len(%s) < %d:" % (var, t.min_items))
            lines.append("    " + _raise("OCCURENCE", path_code, "minItems %d" % t.min_items))
        if t.max_items is not None:
            lines.append("if len(%s) > %d:" % (var, t.max_items))
            lines.append("    " + _raise("OCCURENCE", path_code, "maxItems %d" % t.max_items))
        index = "i%d" % depth
        item = "x%d" % depth
        item_path = "%s + '[' + str(%s) + ']'" % (path_code, index)
        if t.item.kind == m.OBJECT:
            # One try around the loop: the index says which element failed.
            lines.append("%s = 0" % index)
            lines.append("try:")
            lines.append("    for %s in %s:" % (item, var))
            lines.append("        validate_%s(%s)" % (t.item.object, item))
            lines.append("        %s += 1" % index)
            lines.append("except ValidationError as error:")
            lines.append("    raise error.within(%s)" % item_path)
        else:
            lines.append("for %s, %s in enumerate(%s):" % (index, item, var))
            for line in value_checks(t.item, item, item_path, depth + 1):
                lines.append("    " + line)
    else:  # pragma: no cover - the builder rejects other kinds
        raise ValueError(t.kind)
    return lines


def object_validator_body(obj: m.ObjectType) -> List[str]:
    """The body of validate_<Name>(d): type, required, extra keys, then each field.

    Errors come in that order. Where every field is required, a length test
    settles extra keys up front. Otherwise the known keys present are
    counted while the fields are checked and compared with len(d) at the
    end, which costs less than a subset test of d.keys(); should a field
    fail first, the subset test runs then, so an extra key still wins.
    """
    lines = [
        "if type(d) is not dict:",
        "    " + _raise("TYPE", "''", "type object"),
    ]
    if obj.required_fields:
        # A chain of `in` tests costs a third of a frozenset <= d.keys().
        absent = " or ".join("%r not in d" % f.wire_name for f in obj.required_fields)
        lines.append("if %s:" % absent)
        lines.append("    raise missing(d, REQUIRED_ORDER_%s)" % obj.name)
    counted = not obj.additional_properties and bool(obj.optional_fields)
    if not obj.additional_properties and not counted:
        lines.append("if len(d) != %d:" % len(obj.required_fields))
        lines.append("    raise unexpected(d, KEYS_%s)" % obj.name)
    checks: List[str] = []
    for f in obj.fields:
        path = repr(f.wire_name)
        if f.required:
            checks.append("v = d[%r]" % f.wire_name)
            checks.extend(value_checks(f.type, "v", path))
        else:
            # `in` then `[]` beats `.get(key, sentinel)`: no method call, and
            # an absent key costs a single lookup.
            checks.append("if %r in d:" % f.wire_name)
            if counted:
                checks.append("    n += 1")
            checks.append("    v = d[%r]" % f.wire_name)
            checks.extend("    " + line for line in value_checks(f.type, "v", path))
    if not counted:
        return lines + checks
    lines.append("n = %d  # known keys seen" % len(obj.required_fields))
    lines.append("try:")
    lines.extend("    " + line for line in checks)
    lines.append("except ValidationError:")
    lines.append("    if not d.keys() <= KEYS_%s:" % obj.name)
    lines.append("        raise unexpected(d, KEYS_%s)" % obj.name)
    lines.append("    raise")
    lines.append("if n != len(d):")
    lines.append("    raise unexpected(d, KEYS_%s)" % obj.name)
    return lines


# -- codec ------------------------------------------------------------------


def decode_expr(t: m.TypeRef, src: str) -> str:
    """An expression converting wire value `src` (a plain name) to its typed form.

    An enum lookup passes None through (`E.get(None, None)`), so optional
    enum fields need no None test.
    """
    if t.kind == m.ENUM:
        return "E_%s.get(%s, %s)" % (t.enum, src, src)
    if t.kind == m.OBJECT:
        return "decode_%s(%s)" % (t.object, src)
    if t.kind == m.ARRAY:
        if t.item.kind in (m.OBJECT, m.ENUM):
            return "[%s for x in %s]" % (decode_expr(t.item, "x"), src)
        return "list(%s)" % src
    return src


def decoder_body(obj: m.ObjectType, constructor: str) -> List[str]:
    """Statements of decode_<Name>(d): a bare instance, then each field in order.

    The instance comes from object.__new__ and gets its attributes set in
    field order, the state the dataclass __init__ would leave (the payload
    classes have no __post_init__), at about half the cost of a call with
    keyword arguments. Absent optional keys become None.
    """
    if not obj.fields:
        return ["return new(%s)" % constructor]
    lines = ["o = new(%s)" % constructor]
    for f in obj.fields:
        target = "o.%s" % f.py_name
        fetch = "d[%r]" % f.wire_name if f.required else "d.get(%r)" % f.wire_name
        kind = f.type.kind
        if kind not in (m.ENUM, m.OBJECT, m.ARRAY):
            lines.append("%s = %s" % (target, fetch))
        elif f.required and kind != m.ENUM:
            lines.append("%s = %s" % (target, decode_expr(f.type, fetch)))
        else:
            lines.append("v = %s" % fetch)
            converted = decode_expr(f.type, "v")
            if kind == m.ENUM:
                lines.append("%s = %s" % (target, converted))
            else:
                lines.append("%s = None if v is None else %s" % (target, converted))
    lines.append("return o")
    return lines


def encoder_body(obj: m.ObjectType) -> List[str]:
    """Statements of encode_<Name>(o): required keys in one literal, optional ones when set."""
    items = ", ".join(
        "%r: %s" % (f.wire_name, encode_expr(f.type, "o.%s" % f.py_name))
        for f in obj.required_fields
    )
    lines = ["d = {%s}" % items]
    for f in obj.optional_fields:
        lines.append("v = o.%s" % f.py_name)
        lines.append("if v is not None:")
        lines.append("    d[%r] = %s" % (f.wire_name, encode_expr(f.type, "v")))
    lines.append("return d")
    return lines


def encode_expr(t: m.TypeRef, src: str) -> str:
    if t.kind == m.OBJECT:
        return "encode_%s(%s)" % (t.object, src)
    if t.kind == m.ARRAY:
        if t.item.kind == m.OBJECT:
            return "[%s for x in %s]" % (encode_expr(t.item, "x"), src)
        return "list(%s)" % src
    return src


def annotation(t: m.TypeRef, datatypes: str = "datatypes.") -> str:
    """The type hint; `datatypes` is the prefix nested types need where they are used."""
    if t.kind == m.STRING:
        return "str"
    if t.kind == m.INTEGER:
        return "int"
    if t.kind == m.NUMBER:
        return "float"
    if t.kind == m.BOOLEAN:
        return "bool"
    if t.kind == m.ENUM:
        return "enums.%s" % t.enum
    if t.kind == m.OBJECT:
        return datatypes + t.object
    return "List[%s]" % annotation(t.item, datatypes)


def field_annotation(f: m.Field, datatypes: str = "datatypes.") -> str:
    hint = annotation(f.type, datatypes)
    return hint if f.required else "Optional[%s]" % hint


def constraint_text(f: m.Field) -> str:
    """A short human description of a field's wire form, for docstrings."""
    t = f.type
    parts = [f.wire_name]
    if t.kind == m.ARRAY:
        bounds = []
        if t.min_items is not None:
            bounds.append("at least %d" % t.min_items)
        if t.max_items is not None:
            bounds.append("at most %d" % t.max_items)
        parts.append("list" + (" (" + ", ".join(bounds) + ")" if bounds else ""))
        t = t.item
    if t.max_length is not None:
        parts.append("max %d chars" % t.max_length)
    if t.format:
        parts.append(t.format)
    if t.multiple_of is not None:
        parts.append("multiple of %s" % t.multiple_of)
    parts.append("required" if f.required else "optional")
    return ", ".join(parts)


# -- one-pass readers (CPython) ---------------------------------------------


def reader_body(obj: m.ObjectType, constructor: str) -> List[str]:
    """Statements of read_<Name>(d): validate_<Name> and decode_<Name> in
    one pass, for a payload as json.loads gives it.

    Each value is fetched once, checked with exact JSON types and stored
    converted, so an enum value is checked and mapped to its member by one
    dict lookup. Anything the pass cannot vouch for raises Unusual, and the
    caller then runs the validator and the decoder as usual: a rule broken,
    but also a null, an integral float, an unknown key. So it only has to
    be right where it succeeds: there it gives decode_<Name>(d)'s object,
    attributes set in the same order, for a payload validate_<Name> passes.
    """
    if obj.additional_properties:
        # A null under an optional key would read as absent; not worth a
        # second kind of pass for objects 1.6 does not have.
        return ["raise Unusual"]
    lines = [
        "if type(d) is not dict:",
        "    raise Unusual",
        "o = new(%s)" % constructor,
    ]
    if not obj.fields:
        return lines + ["if d:", "    raise Unusual", "return o"]
    lines.append("get = d.get")
    counted = bool(obj.optional_fields)
    if counted:
        lines.append("n = %d  # known keys present" % len(obj.required_fields))
    for f in obj.fields:
        lines.append("v = get(%r)" % f.wire_name)
        if f.required:
            # absent or null fails every exact type check below
            lines.extend(value_reads(f.type, "v", 0))
        else:
            lines.append("if v is not None:")
            lines.append("    n += 1")
            lines.extend("    " + line for line in value_reads(f.type, "v", 0))
        lines.append("o.%s = v" % f.py_name)
    # An unknown key, or an optional one holding null.
    lines.append("if len(d) != %s:" % ("n" if counted else "%d" % len(obj.required_fields)))
    lines.append("    raise Unusual")
    lines.append("return o")
    return lines


def value_reads(t: m.TypeRef, var: str, depth: int) -> List[str]:
    """Statements that check `var` (not None) with exact JSON types, raising
    Unusual where validate would refuse it, and rebind it to its typed form."""
    lines: List[str] = []
    refused: List[str] = []  # conditions under which validate would refuse var
    if t.kind == m.STRING or t.kind == m.ENUM:
        plain_enum = t.kind == m.ENUM and t.max_length is None and not t.format
        if not plain_enum:
            refused.append("type(%s) is not str" % var)
        if t.max_length is not None:
            refused.append("len(%s) > %d" % (var, t.max_length))
        if t.format == "date-time":
            refused.append("not is_date_time(%s)" % var)
        elif t.format == "uri":
            refused.append("not is_uri(%s)" % var)
        lines.extend(_refuse_if(refused))
        if t.kind == m.ENUM:
            # The member map answers for the type too: it only holds str
            # keys, and what it cannot hash raises TypeError, which the
            # caller takes as Unusual.
            lines.append("%s = E_%s.get(%s)" % (var, t.enum, var))
            lines.append("if %s is None:" % var)
            lines.append("    raise Unusual")
    elif t.kind == m.INTEGER or t.kind == m.NUMBER:
        if t.kind == m.NUMBER:
            refused.append("(type(%s) is not int and type(%s) is not float)" % (var, var))
        else:
            # an integral float (draft-06) is left to the validator
            refused.append("type(%s) is not int" % var)
        if t.minimum is not None:
            refused.append("%s < %s" % (var, _number_literal(t.minimum)))
        if t.maximum is not None:
            refused.append("%s > %s" % (var, _number_literal(t.maximum)))
        if t.multiple_of is not None:
            refused.append("not is_multiple_of(%s, %s)" % (var, _number_literal(t.multiple_of)))
        lines.extend(_refuse_if(refused))
    elif t.kind == m.BOOLEAN:
        lines.append("if type(%s) is not bool:" % var)
        lines.append("    raise Unusual")
    elif t.kind == m.OBJECT:
        lines.append("%s = read_%s(%s)" % (var, t.object, var))
    elif t.kind == m.ARRAY:
        lines.append("if type(%s) is not list:" % var)
        lines.append("    raise Unusual")
        sizes = []
        if t.min_items is not None:
            sizes.append("len(%s) < %d" % (var, t.min_items))
        if t.max_items is not None:
            sizes.append("len(%s) > %d" % (var, t.max_items))
        if sizes:
            lines.append("if %s:" % " or ".join(sizes))
            lines.append("    raise Unusual")
        item = "x%d" % depth
        if t.item.kind == m.OBJECT:
            lines.append("%s = [read_%s(%s) for %s in %s]" % (var, t.item.object, item, item, var))
        else:
            # an item that is null is refused, as the validator does
            read = "w%d" % depth
            lines.append("%s = []" % read)
            lines.append("for %s in %s:" % (item, var))
            lines.append("    if %s is None:" % item)
            lines.append("        raise Unusual")
            lines.extend("    " + line for line in value_reads(t.item, item, depth + 1))
            lines.append("    %s.append(%s)" % (read, item))
            lines.append("%s = %s" % (var, read))
    else:  # pragma: no cover - the builder rejects other kinds
        raise ValueError(t.kind)
    return lines


def _refuse_if(conditions: List[str]) -> List[str]:
    if not conditions:
        return []
    return ["if %s:" % " or ".join(conditions), "    raise Unusual"]
