#pragma once

#include "execd/ApiException.h"
#include "execd/ContextTable.h"
#include "execd/Executor.h"
#include "execd/Paths.h"
#include "Poco/UUIDGenerator.h"
#include <functional>
#include <memory>
#include <string>
#include <vector>


namespace execd {


template <class Context>
class ContextExecutor: public CodeExecutor
	/// A code executor for a language whose contexts each run one cell at a time:
	/// a table of contexts by id (ContextTable), the language's default context
	/// created on the first run without a context id, and create, list, delete,
	/// run and interrupt on top of it.
	///
	/// Context must provide:
	///
	///     const std::string& id() const;
	///         the id the factory gave it
	///     const std::string& cwd() const;
	///         the working directory it was created with ("" for none)
	///     void run(const std::string& code, EventSink& sink);
	///         runs a cell, as Executor::run() describes; may throw ApiException
	///         before the first event (for example when the context is busy)
	///     void interrupt();
	///         interrupts the cell running now, from any thread
	///     void stop();
	///         ends the context for good: it is deleted, or execd shuts down
	///
	/// Contexts are shared: a run keeps its context alive while it is being
	/// deleted, and the context is destroyed with its last reference.
{
public:
	using Ptr = std::shared_ptr<Context>;

	using Factory = std::function<Ptr(const std::string& id, const std::string& cwd, const ResourceGroup::Ptr& pGroup)>;
		/// Creates a context with that id and working directory (which exists by
		/// then), whose processes join pGroup when it is not null; throws
		/// Poco::Exception with the cause on failure.

	enum class DefaultFailure
		/// What run() does when the default context cannot be created.
	{
		PROPAGATE,   ///< the factory's exception goes to the client as it is
		EXPLAIN      ///< ApiException 500 "error running codes cannot create the default <language> context: <cause>"
	};

	ContextExecutor(std::string language, Factory factory, DefaultFailure defaultFailure = DefaultFailure::PROPAGATE);
		/// language names the contexts in listContexts() and findContext(), and
		/// the default context in DefaultFailure::EXPLAIN's message.

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
		/// Creates cwd (when given) and a context in it.
	ContextInfo createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup) override;
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
		/// Forgets the context and stops it.

	// execd::Executor
	void run(const ExecRequest& request, EventSink& sink) override;
		/// Runs the code in request.contextId's context, or in the default one.
		/// Throws ApiException 500 "error running codes context not found" for an
		/// unknown context id.
	bool interrupt(const std::string& id) override;

	void shutdown();
		/// Forgets and stops every context.

private:
	Ptr create(const std::string& cwd, const ResourceGroup::Ptr& pGroup = nullptr);

	std::string _language;
	Factory _factory;
	DefaultFailure _defaultFailure;
	ContextTable<Context> _contexts;
};


//
// implementation
//


template <class Context>
ContextExecutor<Context>::ContextExecutor(std::string language, Factory factory, DefaultFailure defaultFailure):
	_language(std::move(language)),
	_factory(std::move(factory)),
	_defaultFailure(defaultFailure)
{
}


template <class Context>
ContextInfo ContextExecutor<Context>::createContext(const std::string& language, const std::string& cwd)
{
	Ptr pContext = create(cwd);
	const std::string id = pContext->id();
	_contexts.add(id, pContext);
	return ContextInfo{id, language, cwd};
}


template <class Context>
ContextInfo ContextExecutor<Context>::createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	Ptr pContext = create(cwd, pGroup);
	const std::string id = pContext->id();
	_contexts.add(id, pContext);
	return ContextInfo{id, language, cwd};
}


template <class Context>
std::vector<ContextInfo> ContextExecutor<Context>::listContexts()
{
	return _contexts.infos(_language);
}


template <class Context>
std::optional<ContextInfo> ContextExecutor<Context>::findContext(const std::string& id)
{
	return _contexts.info(id, _language);
}


template <class Context>
bool ContextExecutor<Context>::deleteContext(const std::string& id)
{
	Ptr pContext = _contexts.remove(id);
	if (!pContext) return false;
	pContext->stop();
	return true;
}


template <class Context>
void ContextExecutor<Context>::run(const ExecRequest& request, EventSink& sink)
{
	Ptr pContext;
	if (!request.contextId.empty())
	{
		pContext = _contexts.find(request.contextId);
		if (!pContext) throw ApiException::runtimeError("error running codes context not found");
	}
	else
	{
		auto createDefault = [this] {
			Ptr pCreated = create("");
			return std::make_pair(pCreated->id(), pCreated);
		};
		if (_defaultFailure == DefaultFailure::PROPAGATE)
		{
			pContext = _contexts.defaultContext(createDefault);
		}
		else
		{
			try
			{
				pContext = _contexts.defaultContext(createDefault);
			}
			catch (Poco::Exception& exc)
			{
				throw ApiException::runtimeError("error running codes cannot create the default " + _language + " context: " + exc.message());
			}
		}
	}
	pContext->run(request.code, sink);
}


template <class Context>
bool ContextExecutor<Context>::interrupt(const std::string& id)
{
	Ptr pContext = _contexts.find(id);
	if (!pContext) return false;
	pContext->interrupt();
	return true;
}


template <class Context>
void ContextExecutor<Context>::shutdown()
{
	for (auto& entry: _contexts.takeAll()) entry.second->stop();
}


template <class Context>
typename ContextExecutor<Context>::Ptr ContextExecutor<Context>::create(const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	if (!cwd.empty()) Paths::createDirectories(cwd);
	return _factory(Poco::UUIDGenerator::defaultGenerator().createRandom().toString(), cwd, pGroup);
}


} // namespace execd
