"""The hooks through which the Trainer meets distribution, and the strategy of a run in one process."""


class SingleProcess:
    """Training in this process alone, every hook the identity. DataParallel has the same hooks:

    shard_train(loader) / shard_eval(loader): the loader this process reads, for training and for evaluation;
    prepare_model(model): make every process start from the main process's weights and buffers (and, with
    synchronised batch norm, give its batch-norm layers the strategy that makes their statistics global);
    average_gradients(model, count): after backward, gradients over every process's examples (count: this
    process's);
    sum(*values): each number summed over the processes, with its type kept;
    any(flag): whether the flag is set in any process (a stop request reaching some ranks only);
    reduce_evaluation(result): nbcnn.training.evaluate's result over every process's share;
    is_main: whether this process writes the run's files and reports progress;
    local_ranks: how many processes of the run share this node (and its cores);
    example_positions: (start, step), row n of this process's training batches being example start + n·step of
    the global batch (the Trainer passes it to nbcnn.random.example_positions, which dropout reads).
    """

    rank, world_size, is_main, local_ranks = 0, 1, True, 1
    example_positions = (0, 1)

    def shard_train(self, loader):
        return loader

    def shard_eval(self, loader):
        return loader

    def prepare_model(self, model):
        pass

    def average_gradients(self, model, count):
        pass

    def sum(self, *values):
        return values

    def any(self, flag):
        return flag

    def reduce_evaluation(self, result):
        return result
