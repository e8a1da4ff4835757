#include "TslabHooks.h"
#include "KernelMessage.h"
#include "Poco/JSON/Parser.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>


namespace execd {
namespace jupyter {


namespace {


// tslab prints the value of the last expression with console.log and an error
// with console.error, from its executor module, through the process.stdout and
// process.stderr write functions that it replaces at every execution. The hooks
// (accessors for those functions) mark exactly these writes, the ones whose
// first caller outside Node's own code is tslab's executor, with a tag only
// this context knows; KernelRun turns them into result and error events. eval()
// keeps the hook source out of TypeScript's type checks.
const std::string SOURCE = R"JS((function () {
  var tag = @TAG@;
  function fromExecutor() {
    var limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 20;
    var frames = String(new Error().stack).split('\n');
    Error.stackTraceLimit = limit;
    // [0] "Error", [1] fromExecutor, [2] the write hook, then its callers.
    for (var i = 3; i < frames.length; ++i) {
      if (frames[i].indexOf('node:') >= 0) continue;
      return frames[i].indexOf('/tslab/dist/executor.js') >= 0;
    }
    return false;
  }
  function describe(text) {
    var lines = text.replace(/\n$/, '').split('\n');
    if (/^(\S+ )?\d+:\d+ - /.test(lines[0]))
      return {ename: 'CompileError', evalue: lines.join('\n'), traceback: lines};
    var at = lines.findIndex(function (l) { return /^\s+at /.test(l); });
    if (at < 0) return {ename: 'Error', evalue: lines.join('\n'), traceback: []};
    for (var i = 0; i < at; ++i) {
      var m = /^([A-Za-z_$][\w$]*)(?: \[[^\]]*\])?: ?(.*)$/.exec(lines[i]);
      if (m) return {ename: m[1], evalue: [m[2]].concat(lines.slice(i + 1, at)).join('\n'), traceback: lines};
    }
    return {ename: 'Error', evalue: lines.slice(0, at).join('\n'), traceback: lines};
  }
  function hook(stream, kind) {
    var inner = stream.write;
    function write(chunk) {
      var args = Array.prototype.slice.call(arguments);
      if (typeof chunk === 'string' && fromExecutor())
        args[0] = tag + kind + (kind === 'E' ? JSON.stringify(describe(chunk)) + '\n' : chunk);
      return inner.apply(this, args);
    }
    Object.defineProperty(stream, 'write', {
      configurable: true,
      enumerable: true,
      get: function () { return write; },
      set: function (fn) { inner = fn; }
    });
  }
  hook(process.stdout, 'R');
  hook(process.stderr, 'E');
})();
)JS";


std::string randomTag()
{
	std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
	return "\x1f" + id + ":";
}


} // namespace


bool TslabHooks::wanted(const std::string& implementation)
{
	return implementation == "tslab" || implementation == "jslab";
}


TslabHooks::TslabHooks():
	_tag(randomTag())
{
}


TslabHooks::TslabHooks(std::string tag):
	_tag(std::move(tag))
{
}


const std::string& TslabHooks::tag() const
{
	return _tag;
}


std::string TslabHooks::code() const
{
	std::string hooks = SOURCE;
	hooks.replace(hooks.find("@TAG@"), 5, Json::quote(_tag));
	return "void eval(" + Json::quote(hooks) + ");\n";
}


bool TslabHooks::marks(const std::string& text) const
{
	return !_tag.empty() && text.size() > _tag.size() && text.compare(0, _tag.size(), _tag) == 0;
}


void TslabHooks::read(const std::string& text, Poco::JSON::Object::Ptr& result, std::optional<ErrorDetail>& error) const
{
	const std::string payload = text.substr(_tag.size());
	std::string value = payload.substr(1);
	if (!value.empty() && value.back() == '\n') value.pop_back();
	if (payload[0] == 'R')
	{
		result = new Poco::JSON::Object;
		result->set("text", value);
		return;
	}
	ErrorDetail detail;
	try
	{
		auto info = Poco::JSON::Parser().parse(value).extract<Poco::JSON::Object::Ptr>();
		detail = KernelMessage::error(*info, "Error");
	}
	catch (Poco::Exception&)
	{
		detail = ErrorDetail{"Error", value, {}, false};
	}
	if (!error)
		error = std::move(detail);
	else
		error->traceback.insert(error->traceback.end(), detail.traceback.begin(), detail.traceback.end());
}


} } // namespace execd::jupyter
