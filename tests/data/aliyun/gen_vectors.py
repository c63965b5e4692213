#!/usr/bin/env python3
"""Generate independent Aliyun auth test vectors with Python's hmac module.

Run from the repository root:

    python3 tests/data/aliyun/gen_vectors.py > tests/data/aliyun/vectors.json

The expected strings are built here from the documented Aliyun formats, not by the
library under test, so the Rust tests that read vectors.json can fail.
The generator is deterministic (fixed seed): re-running it reproduces the file.
"""

import hashlib
import hmac
import json
import random
import string

HASHES = {"hmacmd5": hashlib.md5, "hmacsha1": hashlib.sha1, "hmacsha256": hashlib.sha256}
ALNUM = string.ascii_letters + string.digits
DN_CHARS = ALNUM + "_.@:-"
# visible ASCII minus the clientId delimiters | , = and the quote and backslash that no AT
# encoder can carry
CID_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '|,="\\')

rng = random.Random(20240601)


def sign(method, key, content):
    return hmac.new(key.encode(), content.encode(), HASHES[method]).hexdigest()


def rand(chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def content(params):
    """The documented rule: sorted by name, name+value, no separators."""
    return "".join(name + value for name, value in sorted(params.items()))


def form_escape(value):
    out = []
    for ch in value:
        out.append("%%%02X" % ord(ch) if ch in "%&+=" else ch)
    return "".join(out)


def json_escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"')


def triple(max_len=False):
    if max_len:
        return rand(ALNUM, 20, 20), rand(DN_CHARS, 32, 32), rand(ALNUM, 64, 64)
    return rand(ALNUM, 11, 11), rand(DN_CHARS, 4, 32), rand(ALNUM, 32, 32)


def primitives():
    out = []
    for method in HASHES:
        for key, msg in [
            ("", ""),
            ("key", "The quick brown fox jumps over the lazy dog"),
            ("k" * 64, "block-size key"),
            ("K" * 65, "key one byte longer than a block"),
            ("x" * 100, "long key is hashed first"),
            (rand(ALNUM, 16, 16), rand(string.printable, 0, 300)),
        ]:
            out.append({"method": method, "key": key, "content": msg, "hex": sign(method, key, msg)})
    return out


def mqtt_device_secret():
    out = []
    for i in range(24):
        pk, dn, ds = triple(max_len=(i % 6 == 5))
        method = list(HASHES)[i % 3]
        cid = rand(CID_CHARS, 64, 64) if i % 6 == 5 else (rand(CID_CHARS, 1, 64) if i % 2 else None)
        ts = (rand(string.digits, 20, 20) if i % 6 == 5 else str(rng.randint(10**12, 2 * 10**12))) if i % 4 != 1 else None
        mode = 3 if i % 5 == 0 else 2
        real_cid = cid if cid is not None else pk + "." + dn
        params = {"clientId": real_cid, "deviceName": dn, "productKey": pk}
        if ts is not None:
            params["timestamp"] = ts
        c = content(params)
        ext = "securemode=%d,signmethod=%s" % (mode, method)
        if ts is not None:
            ext += ",timestamp=" + ts
        out.append({
            "input": {"product_key": pk, "device_name": dn, "device_secret": ds, "client_id": cid,
                      "sign_method": method, "timestamp": ts, "secure_mode": mode},
            "client_id": real_cid + "|" + ext + "|",
            "username": dn + "&" + pk,
            "password": sign(method, ds, c),
            "sign_content": c,
        })
    return out


def mqtt_dynreg():
    out = []
    for i in range(24):
        pk, dn, ps = triple(max_len=(i % 6 == 5))
        ps = ps[:16] if i % 6 != 5 else ps
        method = list(HASHES)[i % 3]
        auth = "regnwl" if i % 2 else "register"
        rnd = rand(ALNUM, 64, 64) if i % 6 == 5 else rand(string.digits, 1, 10)
        cid = rand(CID_CHARS, 64, 64) if i % 6 == 5 else (rand(CID_CHARS, 1, 64) if i % 3 == 0 else None)
        iid = ("iot-" + rand(string.ascii_lowercase + string.digits, 59, 59)) if i % 6 == 5 else (
            "iot-" + rand(string.ascii_lowercase + string.digits, 15, 15) if i % 4 else None)
        mode = None if i % 5 else (-2 if auth == "register" else 2)
        real_mode = mode if mode is not None else (2 if auth == "register" else -2)
        real_cid = cid if cid is not None else pk + "." + dn
        c = content({"deviceName": dn, "productKey": pk, "random": rnd})
        ext = "securemode=%d,authType=%s,random=%s,signmethod=%s" % (real_mode, auth, rnd, method)
        if iid is not None:
            ext += ",instanceId=" + iid
        out.append({
            "input": {"product_key": pk, "device_name": dn, "product_secret": ps, "random": rnd,
                      "auth_type": auth, "sign_method": method, "client_id": cid,
                      "secure_mode": mode, "instance_id": iid},
            "client_id": real_cid + "|" + ext + "|",
            "username": dn + "&" + pk,
            "password": sign(method, ps, c),
            "sign_content": c,
            "reply_topic": "/ext/" + auth,
        })
    return out


def http_dynreg():
    out = []
    for i in range(12):
        pk, dn, ps = triple(max_len=(i % 6 == 5))
        method = list(HASHES)[i % 3]
        spelling = [method, method.upper(), {"hmacmd5": "HmacMD5", "hmacsha1": "HmacSHA1", "hmacsha256": "HmacSHA256"}[method]][i % 3]
        rnd = rand(ALNUM, 1, 64)
        region = ["cn-shanghai", "ap-southeast-1", "us-west-1", "eu-central-1"][i % 4]
        c = content({"deviceName": dn, "productKey": pk, "random": rnd})
        s = sign(method, ps, c)
        body = "productKey=%s&deviceName=%s&random=%s&sign=%s&signMethod=%s" % (pk, dn, rnd, s, spelling)
        out.append({
            "input": {"product_key": pk, "device_name": dn, "product_secret": ps, "random": rnd,
                      "sign_method": method, "sign_method_value": spelling, "region": region},
            "host": "iot-auth.%s.aliyuncs.com" % region,
            "url": "https://iot-auth.%s.aliyuncs.com/auth/register/device" % region,
            "body": body, "sign": s, "sign_content": c,
        })
    return out


def http_auth_devicename():
    out = []
    for i in range(16):
        pk, dn, ds = triple(max_len=(i % 8 == 7))
        method = list(HASHES)[i % 3]
        send = not (method == "hmacmd5" and i % 2 == 0)
        cid = rand(CID_CHARS, 64, 64) if i % 8 == 7 else (rand(CID_CHARS, 1, 64) if i % 2 else None)
        ts = str(rng.randint(10**12, 2 * 10**12)) if i % 3 != 2 else None
        version = "default" if i % 4 == 1 else None
        resources = "mqtt" if i % 4 in (1, 2) else None
        region = ["cn-shanghai", "ap-northeast-1"][i % 2]
        real_cid = cid if cid is not None else pk + "." + dn
        params = {"clientId": real_cid, "deviceName": dn, "productKey": pk}
        if ts is not None:
            params["timestamp"] = ts
        c = content(params)
        s = sign(method, ds, c)
        body = "productKey=%s&sign=%s&clientId=%s&deviceName=%s" % (pk, s, form_escape(real_cid), dn)
        if ts is not None:
            body += "&timestamp=" + ts
        if send:
            body += "&signmethod=" + method
        if version is not None:
            body += "&version=" + version
        if resources is not None:
            body += "&resources=" + resources
        out.append({
            "input": {"product_key": pk, "device_name": dn, "device_secret": ds, "client_id": cid,
                      "sign_method": method, "send_signmethod": send, "timestamp": ts,
                      "version": version, "resources": resources, "region": region},
            "host": "iot-auth.%s.aliyuncs.com" % region,
            "url": "https://iot-auth.%s.aliyuncs.com/auth/devicename" % region,
            "body": body, "sign": s, "sign_content": c,
        })
    return out


def http_channel_auth():
    out = []
    for i in range(12):
        pk, dn, ds = triple(max_len=(i % 6 == 5))
        method = list(HASHES)[i % 3]
        cid = rand(CID_CHARS, 64, 64) if i % 6 == 5 else (rand(CID_CHARS, 1, 64) if i % 2 else None)
        ts = str(rng.randint(10**12, 2 * 10**12)) if i % 3 else None
        region = ["cn-shanghai", "ap-southeast-1"][i % 2]
        real_cid = cid if cid is not None else pk + "." + dn
        params = {"clientId": real_cid, "deviceName": dn, "productKey": pk}
        if ts is not None:
            params["timestamp"] = ts
        c = content(params)
        s = sign(method, ds, c)
        body = '{"version":"default","clientId":"%s","signmethod":"%s","sign":"%s","productKey":"%s","deviceName":"%s"' % (
            json_escape(real_cid), method, s, pk, dn)
        if ts is not None:
            body += ',"timestamp":"%s"' % ts
        body += "}"
        assert json.loads(body)["clientId"] == real_cid
        out.append({
            "input": {"product_key": pk, "device_name": dn, "device_secret": ds, "client_id": cid,
                      "sign_method": method, "timestamp": ts, "region": region},
            "url": "https://iot-as-http.%s.aliyuncs.com/auth" % region,
            "body": body, "sign": s, "sign_content": c,
        })
    return out


def tls_psk():
    out = []
    for i in range(8):
        pk, dn, ds = triple(max_len=(i % 4 == 3))
        ts = None if i % 2 == 0 else str(rng.randint(10**12, 2 * 10**12))
        real_ts = ts if ts is not None else "2524608000000"
        c = "id%s&%stimestamp%s" % (pk, dn, real_ts)
        out.append({
            "input": {"product_key": pk, "device_name": dn, "device_secret": ds, "timestamp": ts},
            "psk_id": "devicename|hmacsha256|%s&%s|%s" % (pk, dn, real_ts),
            "psk": sign("hmacsha256", ds, c),
            "sign_content": c,
        })
    return out


# ---- The aliyun_sign example's JSON lines ---------------------------------------------------
# Each case is a request object and the exact reply line the example must print: outputs in
# the order of the flow table, compact JSON, non-ASCII unescaped (what serde_json writes).

FORM = "application/x-www-form-urlencoded"


def reply_line(req_id, pairs):
    reply = {"id": req_id}
    for key, value in pairs:
        reply[key] = value
    return json.dumps(reply, separators=(",", ":"), ensure_ascii=False)


def case(req_id, flow, inputs, pairs):
    return {"request": {"id": req_id, "flow": flow, "input": inputs}, "reply": reply_line(req_id, pairs)}


def some_id(flow, i):
    """Ids of every JSON type: the reply must echo each unchanged."""
    return [i, "%s-%d" % (flow, i), {"n": i, "tag": [flow]}, [i, None], None, i + 0.5, True][i % 7]


def as_number(text, i):
    """Scripts pass timestamps and randoms as numbers: every third one is a JSON integer."""
    if text is not None and i % 3 == 0 and str(int(text)) == text:
        return int(text)
    return text


def cli_from_vectors(v):
    out = []
    for i, x in enumerate(v["primitive_hmac"]):
        out.append(case(some_id("primitive_hmac", i), "primitive_hmac",
                        {"sign_method": x["method"], "key": x["key"], "content": x["content"]},
                        [("hex", x["hex"])]))
    for i, x in enumerate(v["mqtt_device_secret"]):
        inp = dict(x["input"], timestamp=as_number(x["input"]["timestamp"], i))
        out.append(case(some_id("mqtt_device_secret", i), "mqtt_device_secret", inp, [
            ("client_id", x["client_id"]), ("username", x["username"]), ("password", x["password"]),
            ("sign_content", x["sign_content"]), ("sign_method", inp["sign_method"])]))
    for i, x in enumerate(v["mqtt_dynreg"]):
        inp = dict(x["input"], random=as_number(x["input"]["random"], i))
        out.append(case(some_id("mqtt_dynreg", i), "mqtt_dynreg", inp, [
            ("client_id", x["client_id"]), ("username", x["username"]), ("password", x["password"]),
            ("sign_content", x["sign_content"]), ("sign_method", inp["sign_method"]),
            ("reply_topic", x["reply_topic"])]))
    for i, x in enumerate(v["http_dynreg"]):
        inp = dict(x["input"])
        if i % 2:
            inp["sign_method"] = None  # the method named by sign_method_value
        out.append(case(some_id("http_dynreg", i), "http_dynreg", inp, [
            ("method", "POST"), ("url", x["url"]), ("host", x["host"]), ("port", 443),
            ("path", "/auth/register/device"), ("content_type", FORM), ("body", x["body"]),
            ("sign", x["sign"]), ("sign_content", x["sign_content"]),
            ("sign_method", x["input"]["sign_method"])]))
    for i, x in enumerate(v["http_auth_devicename"]):
        inp = dict(x["input"], timestamp=as_number(x["input"]["timestamp"], i))
        out.append(case(some_id("http_auth_devicename", i), "http_auth_devicename", inp, [
            ("method", "POST"), ("url", x["url"]), ("host", x["host"]), ("port", 443),
            ("path", "/auth/devicename"), ("content_type", FORM), ("body", x["body"]),
            ("sign", x["sign"]), ("sign_content", x["sign_content"]),
            ("sign_method", inp["sign_method"])]))
    for i, x in enumerate(v["http_channel_auth"]):
        inp = dict(x["input"])
        out.append(case(some_id("http_channel_auth", i), "http_channel_auth", inp, [
            ("method", "POST"), ("url", x["url"]), ("content_type", "application/json"),
            ("body", x["body"]), ("sign", x["sign"]), ("sign_content", x["sign_content"]),
            ("sign_method", inp["sign_method"])]))
    for i, x in enumerate(v["tls_psk"]):
        inp = dict(x["input"], timestamp=as_number(x["input"]["timestamp"], i))
        out.append(case(some_id("tls_psk", i), "tls_psk", inp, [
            ("psk_id", x["psk_id"]), ("psk", x["psk"]), ("sign_content", x["sign_content"])]))
    return out


def spaced(obj):
    """A reply text as a server or a log might format it: random spacing, random key order."""
    items = list(obj.items())
    rng.shuffle(items)
    sep = rng.choice([(",", ":"), (", ", ": "), (" ,", " : ")])
    return "{" + sep[0].join(json.dumps(k) + sep[1] + (spaced(v) if isinstance(v, dict) else json.dumps(v, ensure_ascii=False))
                             for k, v in items) + "}"


def cli_new_flows():
    out = []
    regions = [None, "cn-shanghai", "ap-southeast-1", "us-east-1", "eu-central-1", "ap-northeast-1"]
    for i in range(8):
        pk, dn = rand(ALNUM, 11, 11), rand(DN_CHARS, 4, 32)
        cid = rand(ALNUM, 20, 20) + "000100"
        token = "^1^%d^%s" % (rng.randint(10**12, 2 * 10**12), rand("0123456789abcdef", 15, 15))
        if i % 2:
            payload = spaced({"clientId": cid, "productKey": pk, "deviceName": dn, "deviceToken": token})
            inp = {"regnwl_payload": payload}
            if i % 4 == 3:
                inp.update(product_key=pk, device_name=dn)
        else:
            inp = {"product_key": pk, "device_name": dn, "client_id": cid, "device_token": token,
                   "regnwl_payload": None}
        out.append(case(some_id("mqtt_connwl", i), "mqtt_connwl", inp, [
            ("client_id", cid + "|securemode=-2,authType=connwl|"), ("username", dn + "&" + pk),
            ("password", token)]))
    for i in range(8):
        if i % 2:
            iid = "iot-" + rand(string.ascii_lowercase + string.digits, 15, 15)
            inp = {"instance_id": iid}
            host, tls = iid + ".mqtt.iothub.aliyuncs.com", [1883, 443, 8883]
        else:
            pk, region = rand(ALNUM, 11, 11), regions[i % len(regions)]
            inp = {"product_key": pk, "region": region, "instance_id": None}
            host = "%s.iot-as-mqtt.%s.aliyuncs.com" % (pk, region or "cn-shanghai")
            tls = [1883, 443]
        out.append(case(some_id("mqtt_host", i), "mqtt_host", inp,
                        [("host", host), ("tls_ports", tls), ("tcp_ports", [1883])]))
    for i, region in enumerate(regions):
        out.append(case(some_id("http_dynreg_url", i), "http_dynreg_url", {"region": region}, [
            ("url", "https://iot-auth.%s.aliyuncs.com/auth/register/device" % (region or "cn-shanghai"))]))
    errors = [(460, "request parameter error"), (6100, "device not found"),
              (6250, "product not found"), (429, "请求被限流"), (500, 'unknown "server" error \\ x'),
              (6204, None)]
    for i in range(12):
        pk, dn, ds = triple()
        if i % 2 == 0:
            body = {"code": 200, "data": {"deviceName": dn, "deviceSecret": ds, "productKey": pk},
                    "message": "success", "requestId": rand(ALNUM, 8, 8)}
            pairs = [("ok", True), ("device_secret", ds), ("product_key", pk), ("device_name", dn)]
        else:
            code, message = errors[i // 2 % len(errors)]
            body = {"code": code}
            if message is not None:
                body["message"] = message
            pairs = [("ok", False), ("code", code), ("message", message or "")]
        out.append(case(some_id("parse_register_response", i), "parse_register_response",
                        {"text": spaced(body)}, pairs))
    for i in range(10):
        iot_id, token = rand(ALNUM, 30, 30), rand("0123456789abcdef", 32, 32)
        if i % 5 == 4:
            code, message = errors[i % len(errors)]
            body = {"code": code, "message": message or "x"}
            pairs = [("ok", False), ("code", code), ("message", message or "x")]
        else:
            data = {("deviceId" if i % 2 else "iotId"): iot_id, "iotToken": token}
            pairs = [("ok", True), ("iot_id", iot_id), ("iot_token", token)]
            if i % 3 == 0:
                host = rand(ALNUM, 11, 11) + ".iot-as-mqtt.cn-shanghai.aliyuncs.com"
                port = rng.choice([1883, 443])
                data["resources"] = {"mqtt": {"host": host, "port": port}}
                pairs += [("mqtt_host", host), ("mqtt_port", port)]
            body = {"code": 200, "data": data, "message": "success"}
        out.append(case(some_id("parse_auth_response", i), "parse_auth_response",
                        {"text": spaced(body)}, pairs))
    for i in range(4):
        pk, dn, ds = triple()
        out.append(case(some_id("parse_register_payload", i), "parse_register_payload",
                        {"text": spaced({"deviceSecret": ds, "productKey": pk, "deviceName": dn})},
                        [("ok", True), ("device_secret", ds), ("product_key", pk), ("device_name", dn)]))
    for i in range(4):
        pk, dn = rand(ALNUM, 11, 11), rand(DN_CHARS, 4, 32)
        cid = rand(ALNUM, 20, 20) + "000100"
        token = "^1^%d^%s" % (rng.randint(10**12, 2 * 10**12), rand("0123456789abcdef", 15, 15))
        out.append(case(some_id("parse_regnwl_payload", i), "parse_regnwl_payload",
                        {"text": spaced({"clientId": cid, "productKey": pk, "deviceName": dn, "deviceToken": token})},
                        [("ok", True), ("client_id", cid), ("device_token", token), ("product_key", pk),
                         ("device_name", dn)]))
    return out


if __name__ == "__main__":
    vectors = {
        "primitive_hmac": primitives(),
        "mqtt_device_secret": mqtt_device_secret(),
        "mqtt_dynreg": mqtt_dynreg(),
        "http_dynreg": http_dynreg(),
        "http_auth_devicename": http_auth_devicename(),
        "http_channel_auth": http_channel_auth(),
        "tls_psk": tls_psk(),
    }
    # Derived from the vectors above, then new cases (drawn after them, so the vectors above
    # stay the same).
    vectors["cli"] = cli_from_vectors(vectors) + cli_new_flows()
    print(json.dumps(vectors, indent=1, sort_keys=True))
