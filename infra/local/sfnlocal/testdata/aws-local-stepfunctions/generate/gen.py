"""Builds cases.json: the aws-local-stepfunctions unit tests that sfnlocal
can run, each turned into a state machine definition with an input and the
outcome AWS documents. Inputs: intr.json, io.json (harness*.js) and
choice.json (the Choice test tables)."""
import json, re, os
os.chdir(os.environ.get("WORKDIR", "."))

SRC_INTR = "__tests__/intrinsicFunctions/"
cases = []

def pass_machine(params):
    return {"StartAt": "Call", "States": {"Call": {"Type": "Pass", "Parameters": params, "End": True}}}

def add(name, source, definition, inp, **want):
    c = {"name": name, "source": source, "definition": definition, "input": inp}
    c.update(want)
    cases.append(c)

# Where AWS (its documentation) and the library disagree, the case follows
# AWS and says why in "library".
ROUNDS = "the library refuses a non-integer; AWS documents that it rounds non-integer arguments to the nearest integer"

def literal_type_error(func, args):
    kinds = {
        "States.ArrayPartition": "ai", "States.ArrayRange": "iii", "States.ArrayGetItem": "ai",
        "States.MathAdd": "nn", "States.MathRandom": "iii", "States.StringSplit": "ss",
        "States.Hash": "ss", "States.Base64Encode": "s", "States.Base64Decode": "s",
        "States.StringToJson": "s", "States.JsonMerge": "oob", "States.ArrayLength": "a",
        "States.ArrayUnique": "a", "States.ArrayContains": "a*", "States.Format": "s*",
    }[func]
    for i, a in enumerate(args):
        k = kinds[min(i, len(kinds) - 1)]
        if a.startswith("$") or a.startswith("States."):
            continue
        if a.startswith('"'):
            return True  # not intrinsic syntax at all
        is_str = a.startswith("'")
        is_num = re.fullmatch(r"-?\d+(\.\d+)?", a) is not None
        is_bool = a in ("true", "false")
        ok = {"s": is_str, "n": is_num, "i": is_num, "a": False, "o": False, "b": is_bool, "*": True}[k]
        if not ok:
            return True
    return False

ARITY = {"States.StringToJson": 1}

for t in json.load(open("intr.json")):
    f, args, title = t["func"], t["args"], t["title"]
    src = SRC_INTR + f.replace(".", "") + ".test.ts: " + title
    expr = f + "(" + ", ".join(args) + ")"
    name = f + ": " + title.split(" > ", 1)[1]
    if f == "States.MathRandom" and "gte" in t:
        d = {"StartAt": "Call", "States": {
            "Call": {"Type": "Pass", "Parameters": {"n.$": expr}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"And": [
                {"Variable": "$.n", "NumericGreaterThanEquals": t["gte"]},
                {"Variable": "$.n", "NumericLessThanEquals": t["lte"]}], "Next": "InRange"}]},
            "InRange": {"Type": "Pass", "Result": "in range", "End": True}}}
        add(name, src, d, t["input"], output="in range")
        continue
    if f == "States.MathRandom" and t.get("expect") == {"sentinel": True}:
        d = {"StartAt": "Call", "States": {
            "Call": {"Type": "Pass", "Parameters": {"a.$": expr, "b.$": expr}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEqualsPath": "$.b", "Next": "Same"}]},
            "Same": {"Type": "Pass", "Result": "same", "End": True}}}
        add(name, src, d, t["input"], output="same")
        continue
    if f == "States.UUID":
        d = {"StartAt": "Call", "States": {
            "Call": {"Type": "Pass", "Parameters": {"id.$": expr}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.id", "StringMatches": "*-*-4*-*-*", "Next": "Ok"}]},
            "Ok": {"Type": "Pass", "Result": "uuid v4", "End": True}}}
        add(name, src, d, t["input"], output="uuid v4")
        continue
    d = pass_machine({"result.$": expr})
    if not t.get("throws"):
        want = {"output": {"result": t["expect"]}}
        if f == "States.ArrayGetItem" and t["expect"] is None:
            want = {"error": "States.IntrinsicFailure",
                    "library": "the library returns null for an index out of bounds; the service fails the state (an index must designate an item)"}
        add(name, src, d, t["input"], **want)
        continue
    # The library throws a runtime error for every invalid call. The service
    # refuses the definition when a literal argument has the wrong type or
    # the call has the wrong number of arguments, and otherwise fails the
    # state with States.IntrinsicFailure.
    n = len(args)
    # A literal Format template with a different number of {} than values
    # is refused at load time too.
    bad_format = f == "States.Format" and args[0].startswith("'") and args[0].count("{}") != n - 1
    if (f in ARITY and n != ARITY[f]) or literal_type_error(f, args) or bad_format:
        add(name, src, d, t["input"], refused=True)
        continue
    if f in ("States.ArrayRange", "States.MathRandom") and any(re.fullmatch(r"-?\d+\.\d+", a) for a in args):
        # Rounded, so the call succeeds.
        if f == "States.ArrayRange":
            vals = [int(float(a) + 0.5) for a in args]
            start, end, step = vals
            out = list(range(start, end + (1 if step > 0 else -1), step))
            add(name, src, d, t["input"], output={"result": out}, library=ROUNDS)
        else:
            d = {"StartAt": "Call", "States": {
                "Call": {"Type": "Pass", "Parameters": {"n.$": expr}, "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [{"And": [
                    {"Variable": "$.n", "NumericGreaterThanEquals": 1},
                    {"Variable": "$.n", "NumericLessThanEquals": 11}], "Next": "InRange"}]},
                "InRange": {"Type": "Pass", "Result": "in range", "End": True}}}
            add(name, src, d, t["input"], output="in range", library=ROUNDS)
        continue
    add(name, src, d, t["input"], error="States.IntrinsicFailure")

# Input and output processing.
SRC_IO = "__tests__/InputOutputProcessing.test.ts: "
ECHO = "arn:aws:lambda:us-east-1:123456789012:function:echo"
for t in json.load(open("io.json")):
    title, kind, a = t["title"], t["kind"], t["args"]
    st = {"Type": "Pass", "End": True}
    inp = None
    if kind == "InputPath":
        if a[0] != "__undefined__":
            st["InputPath"] = a[0]
        inp = a[1]
    elif kind == "PayloadTemplate" and title.startswith("Input processing"):
        st["Parameters"] = a[0]
        inp = a[1]
    elif kind == "PayloadTemplate":
        # ResultSelector shapes a task's result: the echo function returns
        # its input, so the result is the test's input.
        st = {"Type": "Task", "Resource": ECHO, "ResultSelector": a[0], "End": True}
        inp = a[1]
    elif kind == "ResultPath":
        st["Result"] = a[2]
        if a[0] != "__undefined__":
            st["ResultPath"] = a[0]
        inp = a[1]
    elif kind == "OutputPath":
        if a[0] != "__undefined__":
            st["OutputPath"] = a[0]
        inp = a[1]
    d = {"StartAt": "S", "States": {"S": st}}
    want = {"error": "States.ResultPathMatchFailure"} if t.get("throws") else {"output": t["expect"]}
    add(title.replace(" > ", ": ", 1), SRC_IO + title, d, inp, **want)

# Choice rules.
SRC_CH = "__tests__/stateActions/ChoiceStateAction.test.ts: "
ch = json.load(open("choice.json"))
def choice_machine(rule, value):
    return {"StartAt": "ChoiceState", "States": {
        "ChoiceState": {"Type": "Choice", "Choices": [{"Variable": "$.test", rule: value, "Next": "MatchingChoice"}], "Default": "DefaultChoice"},
        "MatchingChoice": {"Type": "Pass", "Result": "MatchingChoice", "End": True},
        "DefaultChoice": {"Type": "Pass", "Result": "DefaultChoice", "End": True}}}
for r in ch["matcher"]:
    for c in r["cases"]:
        inp = {}
        if "inputValue" in c:
            inp["test"] = c["inputValue"]
        if "comparisonValue" in c:
            inp["comparisonValue"] = c["comparisonValue"]
        title = "Choice rule matcher > %s > variable %s" % (r["rule"], c["explanation"])
        add(title, SRC_CH + title, choice_machine(r["rule"], c["ruleValue"]), inp,
            output="MatchingChoice" if c["isMatch"] else "DefaultChoice")
for r in ch["pathTypes"]:
    title = "Path expression operators > %s > operand is not a %s" % (r["rule"], r["expectedType"])
    add(title, SRC_CH + title, choice_machine(r["rule"], r["ruleValue"]),
        {"test": r["inputValue"], "comparisonValue": r["comparisonValue"]}, output="DefaultChoice",
        library="the library throws a runtime error; AWS documents that it does not match a value of another type (the rule is false, so Default is taken)")


# State actions (__tests__/stateActions/*StateAction.test.ts), ported by
# hand: each test builds one state and checks its result or its error; here
# that state is the whole machine. Timings use sfnlocal's virtual clock, so
# the expectation is the elapsed time rather than the library's mocked timer.
SRC_SA = "__tests__/stateActions/"
IN = {"prop1": "test", "prop2": 12345}
def one(st):
    return {"StartAt": "S", "States": {"S": st}}
def wait(**f):
    st = {"Type": "Wait", "End": True}; st.update(f); return one(st)
ITER = {"StartAt": "EntryIterationState", "States": {"EntryIterationState": {"Type": "Succeed"}}}
PAIRS = [{"num1": 5, "num2": 3}, {"num1": 2, "num2": 6}, {"num1": 7, "num2": 4}]
SEL = [{"pair": p, "index": i} for i, p in enumerate(PAIRS)]
FAILING = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Iteration.Failed", "Cause": "failed on purpose"}}}
manual = [
    ("PassStateAction", "should return initial input as result if `Result` is not specified", one({"Type": "Pass", "End": True}), IN, {"output": IN}),
    ("PassStateAction", "should return value of `Result` as result if specified", one({"Type": "Pass", "Result": {"result1": "result1", "result2": 67890}, "End": True}), IN, {"output": {"result1": "result1", "result2": 67890}}),
    ("SucceedStateAction", "should return input as result", one({"Type": "Succeed"}), IN, {"output": IN}),
    ("FailStateAction", "should throw `FailStateError` with `Error` value as the error name", one({"Type": "Fail", "Error": "Failure"}), IN, {"error": "Failure"}),
    ("FailStateAction", "should throw `FailStateError` with `Cause` value as error message", one({"Type": "Fail", "Error": "Failure", "Cause": "This is the cause of the error"}), IN, {"error": "Failure", "cause": "This is the cause of the error"}),
    ("FailStateAction", "should throw `FailStateError` with value specified in `ErrorPath` field as the error name", one({"Type": "Fail", "ErrorPath": "$.error.name"}), dict(IN, error={"name": "Failure"}), {"error": "Failure"}),
    ("FailStateAction", "should throw `FailStateError` with value specified in `CausePath` field as error message", one({"Type": "Fail", "Error": "Failure", "CausePath": "$.cause.of.error"}), dict(IN, cause={"of": {"error": "This is the cause of the error"}}), {"error": "Failure", "cause": "This is the cause of the error"}),
    ("WaitStateAction", "should pause execution for the amount of seconds specified in the `Seconds` field", wait(Seconds=10), IN, {"output": IN, "elapsedSeconds": 10}),
    ("WaitStateAction", "should pause execution until time in `Timestamp` field is reached", wait(Timestamp="2026-01-01T00:00:30Z"), IN, {"output": IN, "elapsedSeconds": 30}),
    ("WaitStateAction", "should pause execution for the amount of seconds specified in the field referenced by `SecondsPath`", wait(SecondsPath="$.waitFor"), {"waitFor": 10}, {"output": {"waitFor": 10}, "elapsedSeconds": 10}),
    ("WaitStateAction", "should pause execution until time specified in the field referenced by `TimestampPath` is reached", wait(TimestampPath="$.waitUntil"), {"waitUntil": "2026-01-01T00:01:00Z"}, {"output": {"waitUntil": "2026-01-01T00:01:00Z"}, "elapsedSeconds": 60}),
    ("WaitStateAction", "should throw runtime error if `SecondsPath` evaluation does not reference an integer greater than or equal to 0", wait(SecondsPath="$.waitFor"), {"waitFor": -5}, {"error": "States.Runtime"}),
    ("WaitStateAction", "should throw runtime error if `TimestampPath` evaluation does not reference a timestamp (the library's title repeats the SecondsPath one)", wait(TimestampPath="$.waitUntil"), {"waitUntil": "not a valid timestamp"}, {"error": "States.Runtime"}),
    ("ParallelStateAction", "should output an array with items corresponding to the order of the branches in `Branches` field", one({"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 3, "Next": "A2"}, "A2": {"Type": "Pass", "Result": "first", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "second", "End": True}}}]}), IN, {"output": ["first", "second"]}),
    ("ParallelStateAction", "should throw an error if a single branch fails", one({"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, FAILING]}), IN, {"error": "Iteration.Failed"}),
    ("MapStateAction", "should iterate over the array referenced by `ItemsPath`", one({"Type": "Map", "Iterator": ITER, "ItemsPath": "$.items", "End": True}), {"items": PAIRS}, {"output": PAIRS}),
    ("MapStateAction", "should iterate over current input if `ItemsPath` is not specified", one({"Type": "Map", "Iterator": ITER, "End": True}), PAIRS, {"output": PAIRS}),
    ("MapStateAction", "should execute action if using `ItemProcessor` field, which is equivalent to `Iterator`", one({"Type": "Map", "ItemProcessor": ITER, "ItemsPath": "$.items", "End": True}), {"items": PAIRS}, {"output": PAIRS}),
    ("MapStateAction", "should process `Parameters` field if specified", one({"Type": "Map", "Iterator": ITER, "ItemsPath": "$.items", "Parameters": {"pair.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}, "End": True}), {"items": PAIRS}, {"output": SEL}),
    ("MapStateAction", "should process `ItemSelector` field if specified", one({"Type": "Map", "Iterator": ITER, "ItemsPath": "$.items", "ItemSelector": {"pair.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}, "End": True}), {"items": PAIRS}, {"output": SEL}),
    ("MapStateAction", "should throw a runtime error if input is not an array", one({"Type": "Map", "Iterator": ITER, "End": True}), {"items": PAIRS}, {"error": "States.Runtime"}),
    ("MapStateAction", "should throw a runtime error if `ItemsPath` field does not reference an array", one({"Type": "Map", "Iterator": ITER, "ItemsPath": "$.items", "End": True}), {"items": "not an array"}, {"error": "States.Runtime"}),
    ("MapStateAction", "should throw an error if a single iteration fails", one({"Type": "Map", "Iterator": FAILING, "ItemsPath": "$.items", "End": True}), {"items": PAIRS}, {"error": "Iteration.Failed"}),
]
for cls, title, d, inp, want in manual:
    add(cls.replace("StateAction", " State") + ": " + title, SRC_SA + cls + ".test.ts: " + title, d, inp, **want)

json.dump({"source": {"repository": "https://github.com/nibble-4bits/aws-local-stepfunctions",
                      "commit": "a249735969770dd74e3b0062a68b697d0337eb7f"},
           "cases": cases}, open("cases.json", "w"), indent=1, ensure_ascii=False)
print(len(cases))
